//! The rule set: built-in rules (rules/**/*.yaml, embedded at build time) plus user rule
//! folders, validated up front. Any error names file:line:col and the rule, and is fatal (exit 2).

pub mod compile;
pub mod prefilter;
pub mod queries;
pub mod raw;

pub use compile::{
    Anchor, GlobalKind, GlobalSpec, Kind, Matcher, Pattern, PatternKind, Rule, Scope, Within,
};

use include_dir::{include_dir, Dir};
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/rules");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub rule: String,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)?;
        if !self.rule.is_empty() {
            write!(f, ": rule {}", self.rule)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for RuleError {}

/// Every loaded rule with its compiled patterns, queries and prefilter.
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub patterns: Vec<Pattern>,
    pub queries: queries::Queries,
    pub prefilter: prefilter::Prefilter,
    /// Some rule reads secret literals: every eligible file is scanned for them.
    pub scans_secrets: bool,
    /// Some rule reads HTTP routes: files that may hold one are parsed for them.
    pub scans_routes: bool,
}

/// A rule file's text and the name to report it under.
pub struct RuleSource {
    pub name: String,
    pub text: String,
}

pub fn builtin_sources() -> Vec<RuleSource> {
    let mut out = Vec::new();
    collect_embedded(&BUILTIN, &mut out);
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn collect_embedded(dir: &Dir<'static>, out: &mut Vec<RuleSource>) {
    for file in dir.files() {
        if is_rule_file(file.path()) {
            if let Some(text) = file.contents_utf8() {
                out.push(RuleSource {
                    name: format!("rules/{}", file.path().display()),
                    text: text.to_string(),
                });
            }
        }
    }
    for sub in dir.dirs() {
        collect_embedded(sub, out);
    }
}

fn is_rule_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml") | Some("yml")
    )
}

/// Reads every rule file below a user folder, sorted by path.
pub fn dir_sources(dir: &Path) -> Result<Vec<RuleSource>, RuleError> {
    let io_err = |msg: String| RuleError {
        file: dir.display().to_string(),
        line: 0,
        column: 0,
        rule: String::new(),
        message: msg,
    };
    if !dir.is_dir() {
        return Err(io_err("rule folder not found".into()));
    }
    let mut out = Vec::new();
    for entry in ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .build()
    {
        let entry = entry.map_err(|e| io_err(e.to_string()))?;
        let path = entry.path();
        if entry.file_type().is_some_and(|t| t.is_file()) && is_rule_file(path) {
            let text = std::fs::read_to_string(path)
                .map_err(|e| io_err(format!("{}: {e}", path.display())))?;
            out.push(RuleSource {
                name: path.display().to_string(),
                text,
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Parses one rule file (one rule, or several as a YAML list) into raw rules.
fn parse_file(source: &RuleSource) -> Result<Vec<raw::RawRule>, RuleError> {
    let to_err = |e: serde_saphyr::Error| {
        let (line, column) = e
            .location()
            .map(|l| (l.line() as usize, l.column() as usize))
            .unwrap_or((0, 0));
        RuleError {
            file: source.name.clone(),
            line,
            column,
            rule: String::new(),
            message: first_line(&e.to_string()),
        }
    };
    if source.text.trim_start().starts_with('-') {
        serde_saphyr::from_str::<Vec<raw::RawRule>>(&source.text).map_err(to_err)
    } else {
        serde_saphyr::from_str::<raw::RawRule>(&source.text)
            .map(|r| vec![r])
            .map_err(to_err)
    }
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or(text).trim().to_string()
}

impl RuleSet {
    /// Loads the built-in rules, then each user folder in order; a user rule whose id is a
    /// built-in one replaces it. Two rules with one id from the same layer is an error.
    pub fn load(user_dirs: &[std::path::PathBuf]) -> Result<RuleSet, RuleError> {
        let mut layers = vec![builtin_sources()];
        for dir in user_dirs {
            layers.push(dir_sources(dir)?);
        }
        Self::from_layers(layers, true)
    }

    /// Builds a rule set from layers of sources, later layers replacing earlier ids. With
    /// `builtin_first`, the first layer is the built-in rules, whose queries are not compiled
    /// at load (the test suite compiles them).
    pub fn from_layers(
        layers: Vec<Vec<RuleSource>>,
        builtin_first: bool,
    ) -> Result<RuleSet, RuleError> {
        let mut chosen: BTreeMap<String, (raw::RawRule, usize, String)> = BTreeMap::new();
        for (layer_index, layer) in layers.iter().enumerate() {
            let mut seen: BTreeMap<String, String> = BTreeMap::new();
            // Files parse in parallel; errors are still reported in file order.
            let parsed: Vec<_> = {
                use rayon::prelude::*;
                layer.par_iter().map(parse_file).collect()
            };
            for (source, rules) in layer.iter().zip(parsed) {
                for rule in rules? {
                    let id = rule.id.value.clone();
                    let here = format!("{}:{}", source.name, rule.id.referenced.line());
                    if let Some(first) = seen.insert(id.clone(), here) {
                        return Err(RuleError {
                            file: source.name.clone(),
                            line: rule.id.referenced.line() as usize,
                            column: rule.id.referenced.column() as usize,
                            rule: id,
                            message: format!("duplicate rule id (first defined at {first})"),
                        });
                    }
                    chosen.insert(id, (rule, layer_index, source.name.clone()));
                }
            }
        }
        let texts: BTreeMap<&str, &str> = layers
            .iter()
            .flatten()
            .map(|s| (s.name.as_str(), s.text.as_str()))
            .collect();
        let mut patterns = Vec::new();
        let mut rules = Vec::new();
        for (_, (raw, layer, file)) in chosen {
            let text = texts.get(file.as_str()).copied().unwrap_or("");
            let mut compiler = compile::Compiler {
                file: &file,
                text,
                patterns: &mut patterns,
                builtin: layer == 0 && builtin_first,
                node_parent: None,
            };
            rules.push(compiler.rule(raw)?);
        }
        let queries = queries::Queries::new(&patterns)?;
        let mut set = RuleSet {
            rules,
            patterns,
            queries,
            prefilter: prefilter::Prefilter::build_with_extra(&[], &[]),
            scans_secrets: false,
            scans_routes: false,
        };
        set.scans_secrets = set.uses_analyzer(crate::analyzers::Analyzer::Secrets);
        set.scans_routes = set.uses_analyzer(crate::analyzers::Analyzer::AuthRateLimit)
            || set.uses_analyzer(crate::analyzers::Analyzer::WebhookSignature);
        let extra = crate::facts::fact_literals(&set.global_classes());
        set.prefilter = prefilter::Prefilter::build_with_extra(&set.patterns, &extra);
        Ok(set)
    }

    /// Compiles every query pattern for every grammar now (the built-in rules' test).
    pub fn check_all_queries(&self) -> Result<(), RuleError> {
        for (id, p) in self.patterns.iter().enumerate() {
            for lang in [queries::Lang::TypeScript, queries::Lang::Tsx] {
                self.queries.check(id, lang, p)?;
            }
        }
        Ok(())
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Every class a `global:` matcher asks about; files naming one are parsed for Nest facts.
    pub fn global_classes(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.each_matcher(&mut |m| {
            if let Kind::Global(g) = &m.kind {
                out.push(g.class.clone());
            }
        });
        out.sort();
        out.dedup();
        out
    }

    /// Does some rule name this analyzer? (Its per-file facts are gathered only then.)
    pub fn uses_analyzer(&self, analyzer: crate::analyzers::Analyzer) -> bool {
        let mut used = false;
        self.each_matcher(&mut |m| {
            if let Kind::Analyzer(spec) = &m.kind {
                used |= spec.analyzer == analyzer;
            }
        });
        used
    }

    /// Visits every matcher of every rule, conditions included.
    fn each_matcher(&self, visit: &mut dyn FnMut(&Matcher)) {
        fn walk(m: &Matcher, visit: &mut dyn FnMut(&Matcher)) {
            visit(m);
            match &m.kind {
                Kind::All(v) | Kind::Any(v) => v.iter().for_each(|m| walk(m, visit)),
                Kind::Not(m) => walk(m, visit),
                _ => {}
            }
            for c in m.when.iter().chain(&m.and).chain(&m.unless) {
                walk(c, visit);
            }
        }
        for rule in &self.rules {
            for m in rule.subject.iter().chain(&rule.require).chain(&rule.forbid) {
                walk(m, visit);
            }
        }
    }
}
