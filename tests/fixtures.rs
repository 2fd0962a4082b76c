//! The one generic fixture test: every case under fixtures/<RULE-ID>/{pass,fail,na}/ must hold,
//! and every built-in rule must have both pass and fail cases.

use prodready::harness::{self, Expect};
use prodready::rules::RuleSet;
use std::path::Path;

#[test]
fn every_rule_fixture_holds() {
    let set = RuleSet::load(&[]).expect("built-in rules load");
    let outcome = harness::run_dir(Path::new("fixtures"), &set);
    assert_eq!(outcome.failed(), 0, "\n{}", outcome.render());
    for rule in &set.rules {
        for expect in [Expect::Pass, Expect::Fail] {
            assert!(
                outcome
                    .cases
                    .iter()
                    .any(|c| c.rule == rule.id && c.expect == expect),
                "{} has no {:?} fixture",
                rule.id,
                expect
            );
        }
    }
}

#[test]
fn the_harness_reports_noisy_and_missing_findings() {
    // A fail case whose mark sits on the wrong line must fail the harness both ways.
    let dir = tempfile::tempdir().expect("tempdir");
    let case = dir.path().join("SEC-HELMET/fail/wrong-line");
    std::fs::create_dir_all(case.join("src")).expect("mkdir");
    std::fs::write(
        case.join("package.json"),
        r#"{"dependencies":{"express":"4"}}"#,
    )
    .expect("write");
    std::fs::write(
        case.join("src/server.ts"),
        "import express from 'express';\nconst app = express();\napp.listen(3000); // expect: SEC-HELMET\n",
    )
    .expect("write");
    let set = RuleSet::load(&[]).expect("rules");
    let outcome = harness::run_dir(dir.path(), &set);
    assert_eq!(outcome.failed(), 1);
    let problems = &outcome.cases[0].problems;
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("noisy: src/server.ts:2")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("missing: src/server.ts:3")),
        "{problems:?}"
    );
}

#[test]
fn monorepo_apps_are_judged_separately() {
    let set = RuleSet::load(&[]).expect("rules");
    let args = prodready::cli::AuditArgs {
        path: Some("fixtures/monorepo".into()),
        ..Default::default()
    };
    let settings = prodready::config::Settings::resolve(&args).expect("settings");
    let report = prodready::app::audit(&settings, &set);
    let names: Vec<&str> = report.apps.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        ["apps/api", "apps/worker"],
        "the React app is not a backend app"
    );
    let status = |rule: &str, app: &str| {
        report
            .statuses
            .iter()
            .find(|s| s.rule == rule && s.app == app)
            .map(|s| s.status.label())
    };
    assert_eq!(status("QUEUE-SHUTDOWN", "apps/api"), Some("pass"));
    assert_eq!(status("QUEUE-SHUTDOWN", "apps/worker"), Some("fail"));
    assert_eq!(status("CFG-ENV-VALIDATION", "apps/api"), Some("pass"));
    assert_eq!(status("CFG-ENV-VALIDATION", "apps/worker"), Some("fail"));
    assert_eq!(status("SEC-HELMET", "apps/api"), Some("pass"));
    assert_eq!(
        status("SEC-HELMET", "apps/worker"),
        None,
        "a worker has no HTTP rules"
    );
    assert_eq!(
        status("CFG-LOCKFILE", "apps/worker"),
        Some("pass"),
        "root lockfile counts"
    );
    let worker_findings: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.app == "apps/worker")
        .collect();
    assert!(worker_findings
        .iter()
        .all(|f| f.location.path.starts_with("apps/worker/")));
}

#[test]
fn builtin_queries_compile() {
    // Built-in queries compile lazily at run time; this is where a broken one is caught.
    let set = RuleSet::load(&[]).expect("rules");
    set.check_all_queries()
        .expect("every built-in query compiles for TS and TSX");
}

#[test]
fn builtin_literals_fit_the_fast_prefilter() {
    // Each automaton holds up to `CHUNK` literals; each `CHUNK` more is one more pass over
    // every file. Three passes are the budget.
    let set = RuleSet::load(&[]).expect("rules");
    let n = set.prefilter.literals().len();
    assert!(
        n <= 3 * prodready::rules::prefilter::CHUNK,
        "{n} prefilter literals; merge or shorten `literals:` lists"
    );
}

#[test]
fn no_builtin_pattern_runs_on_every_file() {
    let set = RuleSet::load(&[]).expect("rules");
    for p in set.patterns.iter().filter(|p| p.parent.is_none()) {
        assert!(
            !p.literals.is_empty(),
            "{} pattern at {:?} has no prefilter literal",
            p.rule,
            p.origin
        );
    }
}

#[test]
fn and_conditions_in_the_file_narrow_the_prefilter() {
    // SEC-CORS's wildcard-origin query counts only in a file that mentions CORS (`and: in:
    // file`), so a file with `origin` but no `cors` is not parsed for it.
    let set = RuleSet::load(&[]).expect("rules");
    let origin = set
        .patterns
        .iter()
        .find(|p| {
            p.rule == "SEC-CORS"
                && matches!(&p.kind, prodready::rules::PatternKind::Query { source } if source.contains("\"origin\""))
        })
        .expect("the wildcard-origin pattern");
    assert!(origin
        .required
        .iter()
        .any(|group| group.iter().any(|l| l == "cors")));
}
