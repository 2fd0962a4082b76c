//! The rule-fixture harness behind `prodready test-rules DIR` and the built-in fixture test.
//!
//! Layout: DIR/<RULE-ID>/<pass|fail|na>/<case>/ is a mini-project audited on its own.
//! - pass: the rule's status is `pass` in every unit and it reports nothing;
//! - na:   the rule's status is `n/a`;
//! - fail: the rule reports exactly the lines marked `expect: RULE-ID` (a trailing comment,
//!   `// expect: SEC-CORS` or `# expect: ...`; `expect: RULE-ID medium` also checks the
//!   confidence), plus any `path:line RULE-ID [medium]` lines of an `expected.txt` file
//!   (for files that cannot hold comments, such as package.json).
//!
//! Wrong findings are "noisy" (false positives), absent ones "missing" (false negatives).

use crate::cli::AuditArgs;
use crate::config::Settings;
use crate::model::{Confidence, Status};
use crate::rules::RuleSet;
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Pass,
    Fail,
    NotApplicable,
}

#[derive(Debug)]
pub struct CaseResult {
    pub rule: String,
    pub expect: Expect,
    pub case: PathBuf,
    pub problems: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub cases: Vec<CaseResult>,
    pub errors: Vec<String>,
}

impl Outcome {
    pub fn failed(&self) -> usize {
        self.cases.iter().filter(|c| !c.problems.is_empty()).count() + self.errors.len()
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        for c in &self.cases {
            let verdict = if c.problems.is_empty() {
                "ok"
            } else {
                "FAILED"
            };
            let _ = writeln!(s, "{verdict:6} {} {}", c.rule, c.case.display());
            for p in &c.problems {
                let _ = writeln!(s, "       {p}");
            }
        }
        for e in &self.errors {
            let _ = writeln!(s, "error: {e}");
        }
        let _ = writeln!(
            s,
            "{} passed, {} failed",
            self.cases.len() - self.cases.iter().filter(|c| !c.problems.is_empty()).count(),
            self.failed()
        );
        s
    }
}

type Mark = (String, usize, bool);

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

pub fn run_dir(dir: &Path, set: &RuleSet) -> Outcome {
    let mut outcome = Outcome::default();
    for rule_dir in subdirs(dir) {
        let rule = rule_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if set.rule(&rule).is_none() {
            continue;
        }
        for kind_dir in subdirs(&rule_dir) {
            let expect = match kind_dir.file_name().and_then(|n| n.to_str()) {
                Some("pass") => Expect::Pass,
                Some("fail") => Expect::Fail,
                Some("na") => Expect::NotApplicable,
                _ => {
                    outcome.errors.push(format!(
                        "{}: expected pass/, fail/ or na/",
                        kind_dir.display()
                    ));
                    continue;
                }
            };
            for case in subdirs(&kind_dir) {
                outcome.cases.push(run_case(&rule, expect, &case, set));
            }
        }
    }
    outcome
}

pub fn run_case(rule: &str, expect: Expect, case: &Path, set: &RuleSet) -> CaseResult {
    let mut problems = Vec::new();
    let args = AuditArgs {
        path: Some(case.to_path_buf()),
        ..AuditArgs::default()
    };
    let report = match Settings::resolve(&args) {
        Ok(settings) => crate::app::audit(&settings, set),
        Err(e) => {
            return CaseResult {
                rule: rule.into(),
                expect,
                case: case.into(),
                problems: vec![format!("config error: {e}")],
            }
        }
    };
    let statuses: Vec<Status> = report
        .statuses
        .iter()
        .filter(|s| s.rule == rule)
        .map(|s| s.status)
        .collect();
    let actual: BTreeSet<Mark> = report
        .findings
        .iter()
        .filter(|f| f.rule == rule && f.suppressed.is_none())
        .map(|f| {
            (
                f.location.path.clone(),
                f.location.line,
                f.confidence == Confidence::Medium,
            )
        })
        .collect();
    // One finding per place: the same call reported twice (once per schema) is noise too.
    let mut places: BTreeMap<(&str, usize, usize), usize> = BTreeMap::new();
    for f in report.findings.iter().filter(|f| f.rule == rule) {
        *places
            .entry((&f.location.path, f.location.line, f.location.column))
            .or_default() += 1;
    }
    for ((path, line, _), n) in places.into_iter().filter(|(_, n)| *n > 1) {
        problems.push(format!("duplicate: {path}:{line} reported {n} times"));
    }
    let wanted_status = match expect {
        Expect::Pass => Status::Pass,
        Expect::Fail => Status::Fail,
        Expect::NotApplicable => Status::NotApplicable,
    };
    if statuses.is_empty() {
        problems.push("the rule reported no status".into());
    }
    if expect == Expect::Fail {
        if !statuses.contains(&Status::Fail) {
            problems.push(format!("status {:?}, expected a fail", labels(&statuses)));
        }
    } else if statuses.iter().any(|s| *s != wanted_status) {
        problems.push(format!(
            "status {:?}, expected {}",
            labels(&statuses),
            wanted_status.label()
        ));
    }
    let expected = expected_marks(case, rule);
    if expect != Expect::Fail && !expected.is_empty() {
        problems.push("a pass/na case must not carry expect: marks".into());
    }
    for m in actual.difference(&expected) {
        let f = report
            .findings
            .iter()
            .find(|f| f.rule == rule && f.location.path == m.0 && f.location.line == m.1);
        let msg = f.map(|f| f.message.as_str()).unwrap_or("");
        problems.push(format!(
            "noisy: {}:{}{} — {msg}",
            m.0,
            m.1,
            if m.2 { " (medium)" } else { "" }
        ));
    }
    for m in expected.difference(&actual) {
        problems.push(format!(
            "missing: {}:{}{}",
            m.0,
            m.1,
            if m.2 { " (medium)" } else { "" }
        ));
    }
    if expect == Expect::Fail && expected.is_empty() {
        problems.push("a fail case needs at least one expect: mark".into());
    }
    CaseResult {
        rule: rule.into(),
        expect,
        case: case.into(),
        problems,
    }
}

fn labels(statuses: &[Status]) -> Vec<&'static str> {
    statuses.iter().map(|s| s.label()).collect()
}

/// The findings a fail case expects: marks in its files plus `expected.txt` lines.
pub fn expected_marks(case: &Path, rule: &str) -> BTreeSet<Mark> {
    let mark = Regex::new(r"expect:\s*([A-Z][A-Z0-9-]*)(\s+medium)?").expect("static regex");
    let mut out = BTreeSet::new();
    for entry in ignore::WalkBuilder::new(case)
        .hidden(false)
        .standard_filters(false)
        .build()
        .flatten()
    {
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        let rel = crate::workspace::walk::relative(case, path);
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if rel == "expected.txt" {
            for line in text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
            {
                let parts: Vec<&str> = line.split_whitespace().collect();
                if parts.len() >= 2 && parts[1] == rule {
                    if let Some((p, l)) = parts[0].rsplit_once(':') {
                        if let Ok(l) = l.parse() {
                            out.insert((p.to_string(), l, parts.get(2) == Some(&"medium")));
                        }
                    }
                }
            }
            continue;
        }
        for (i, line) in text.lines().enumerate() {
            for c in mark.captures_iter(line) {
                if &c[1] == rule {
                    out.insert((rel.clone(), i + 1, c.get(2).is_some()));
                }
            }
        }
    }
    out
}
