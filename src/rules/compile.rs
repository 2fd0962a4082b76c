//! Turns raw YAML rules into matchers: checks every field, compiles regexes and globs, and
//! collects the literal each pattern needs so the scanner can skip files that cannot match.
//! Tree-sitter queries are only collected here; `queries.rs` merges and compiles them once.

use super::raw::{RawGlobal, RawMatcher, RawRule};
use super::RuleError;
use crate::analyzers::Analyzer;
use crate::model::{Confidence, Priority};
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;
use serde_saphyr::Spanned;
use std::sync::LazyLock;

/// Where a rule is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Repo,
    App,
    HttpApp,
    WorkerApp,
    /// Each entry point of each app, looking only at the files that entry imports.
    Entry,
    /// Each Prisma schema with the code of the applications that use it.
    Prisma,
}

impl Scope {
    fn parse(text: &str) -> Option<Scope> {
        Some(match text {
            "repo" => Scope::Repo,
            "app" => Scope::App,
            "http-app" => Scope::HttpApp,
            "worker-app" => Scope::WorkerApp,
            "entry" => Scope::Entry,
            "prisma" => Scope::Prisma,
            _ => return None,
        })
    }
}

/// Where a missing control is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The entry point's bootstrap line (src/main.ts:5).
    Entry,
    /// The application's package.json.
    Manifest,
}

/// Where a condition looks, relative to the match it qualifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Within {
    Node,
    /// A match that encloses the parent's match (an `if` around a call).
    Around,
    File,
    App,
    Entry,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GlobalKind {
    Guard,
    Pipe,
    Filter,
    Interceptor,
}

impl GlobalKind {
    fn parse(text: &str) -> Option<GlobalKind> {
        Some(match text {
            "guard" => GlobalKind::Guard,
            "pipe" => GlobalKind::Pipe,
            "filter" => GlobalKind::Filter,
            "interceptor" => GlobalKind::Interceptor,
            _ => return None,
        })
    }
}

/// A Nest provider that must be bound app-wide (APP_GUARD / useGlobalGuards ...).
#[derive(Debug, Clone)]
pub struct GlobalSpec {
    pub kind: GlobalKind,
    pub class: String,
    pub options: Vec<(String, String)>,
}

#[derive(Debug)]
pub enum PatternKind {
    /// Index into the merged query's segments.
    Query {
        source: String,
    },
    Regex(LazyRegex),
}

/// A regex checked for syntax at load and compiled the first time a file needs it: most
/// rule regexes (library imports, rare calls) never pass the prefilter in a given repository.
#[derive(Debug)]
pub struct LazyRegex {
    pub source: String,
    compiled: std::sync::OnceLock<Option<Regex>>,
}

impl LazyRegex {
    /// The regex and its syntax tree (parsed once: the syntax check and the literal
    /// derivation both need it).
    pub fn new(source: &str) -> Result<(LazyRegex, regex_syntax::hir::Hir), String> {
        let hir = regex_syntax::parse(source).map_err(|e| e.to_string())?;
        let lazy = LazyRegex {
            source: source.to_string(),
            compiled: std::sync::OnceLock::new(),
        };
        Ok((lazy, hir))
    }

    /// The compiled regex; None only if it exceeds the regex crate's size limits.
    pub fn get(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| Regex::new(&self.source).ok())
            .as_ref()
    }
}

/// A per-file matcher: a tree-sitter query or a regex, with the files it looks at.
#[derive(Debug)]
pub struct Pattern {
    pub kind: PatternKind,
    pub files: Option<GlobSet>,
    pub tests: bool,
    /// At least one must occur in the file; empty = always run.
    pub literals: Vec<String>,
    /// Groups of which the file must contain one string each (a query's predicates).
    pub required: Vec<Vec<String>>,
    pub rule: String,
    /// Where the pattern was written, for query compile errors: (file, line, column).
    pub origin: (String, usize, usize),
    /// Built-in (compiled per run only when a file needs it; checked by the tests) or a user
    /// rule (compiled at load, so a broken query is an error before the audit).
    pub builtin: bool,
    /// For a condition that only looks inside the node (or file) another pattern matched:
    /// that pattern. It cannot matter in a file where its parent cannot match, so it runs
    /// exactly where its parent may, and needs no literal of its own.
    pub parent: Option<usize>,
}

/// A named analyzer and its options.
#[derive(Debug)]
pub struct AnalyzerSpec {
    pub analyzer: Analyzer,
    pub options: std::collections::BTreeMap<String, Vec<String>>,
}

#[derive(Debug)]
pub enum Kind {
    Pattern(usize),
    /// A file matching one of `globs` in the app's folder (and those above it with
    /// `ancestors`); `names` holds the globs when every one is a plain file name.
    Files {
        globs: GlobSet,
        names: Option<Vec<String>>,
        ancestors: bool,
    },
    Dependency(Vec<String>),
    Global(GlobalSpec),
    Analyzer(AnalyzerSpec),
    All(Vec<Matcher>),
    Any(Vec<Matcher>),
    Not(Box<Matcher>),
}

#[derive(Debug)]
pub struct Matcher {
    pub name: String,
    pub kind: Kind,
    pub within: Option<Within>,
    pub when: Vec<Matcher>,
    pub and: Vec<Matcher>,
    pub unless: Vec<Matcher>,
    pub message: Option<String>,
    pub missing: Option<String>,
    pub confidence: Confidence,
}

#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub priority: Priority,
    pub category: String,
    pub scope: Scope,
    pub why: String,
    pub fix: String,
    pub references: Vec<String>,
    pub subject: Option<Matcher>,
    pub require: Option<Matcher>,
    pub forbid: Vec<Matcher>,
    pub anchor: Anchor,
    pub source: String,
}

/// Compiles one rule file's contents; patterns are appended to `patterns`.
pub struct Compiler<'a> {
    pub file: &'a str,
    pub text: &'a str,
    pub patterns: &'a mut Vec<Pattern>,
    pub builtin: bool,
    /// The pattern whose node-scoped conditions are being compiled, if any.
    pub node_parent: Option<usize>,
}

impl Compiler<'_> {
    fn err(&self, line: usize, col: usize, rule: &str, message: impl Into<String>) -> RuleError {
        RuleError {
            file: self.file.to_string(),
            line,
            column: col,
            rule: rule.to_string(),
            message: message.into(),
        }
    }

    fn span_err<T>(&self, span: &Spanned<T>, rule: &str, message: impl Into<String>) -> RuleError {
        self.err(
            span.referenced.line() as usize,
            span.referenced.column() as usize,
            rule,
            message,
        )
    }

    pub fn rule(&mut self, raw: RawRule) -> Result<Rule, RuleError> {
        let id = raw.id.value.clone();
        if !valid_id(&id) {
            return Err(self.span_err(
                &raw.id,
                &id,
                "a rule id is upper-case letters, digits and dashes, e.g. SEC-CORS",
            ));
        }
        let priority = Priority::parse(&raw.priority.value).ok_or_else(|| {
            self.span_err(
                &raw.priority,
                &id,
                format!(
                    "unknown priority `{}`: use must-fix or post-launch",
                    raw.priority.value
                ),
            )
        })?;
        let scope = Scope::parse(&raw.scope.value).ok_or_else(|| {
            self.span_err(
                &raw.scope,
                &id,
                format!(
                    "unknown scope `{}`: use repo, app, http-app, worker-app or entry",
                    raw.scope.value
                ),
            )
        })?;
        if raw.require.is_none() && raw.forbid.is_empty() {
            return Err(self.span_err(
                &raw.id,
                &id,
                "a rule needs `require:` or `forbid:` (or both)",
            ));
        }
        let anchor = match raw.anchor.as_ref().map(|a| a.value.as_str()) {
            None | Some("entry") => Anchor::Entry,
            Some("manifest") => Anchor::Manifest,
            Some(other) => {
                let span = raw.anchor.as_ref().expect("matched Some");
                return Err(self.span_err(
                    span,
                    &id,
                    format!("unknown anchor `{other}`: use entry or manifest"),
                ));
            }
        };
        let subject = raw
            .subject
            .map(|m| self.matcher(m, &id, Within::App))
            .transpose()?;
        let require = raw
            .require
            .map(|m| self.matcher(m, &id, Within::App))
            .transpose()?;
        let mut forbid = Vec::new();
        for m in raw.forbid {
            let compiled = self.matcher(m, &id, Within::App)?;
            if compiled.message.is_none() && !matches!(compiled.kind, Kind::Analyzer(_)) {
                return Err(self.err(0, 0, &id, "every `forbid:` entry needs a `message:`"));
            }
            forbid.push(compiled);
        }
        Ok(Rule {
            id,
            title: raw.title,
            priority,
            category: raw.category,
            scope,
            why: raw.why,
            fix: raw.fix,
            references: raw.references,
            subject,
            require,
            forbid,
            anchor,
            source: self.file.to_string(),
        })
    }

    fn matcher(
        &mut self,
        raw: RawMatcher,
        rule: &str,
        default: Within,
    ) -> Result<Matcher, RuleError> {
        let kinds = [
            raw.query.is_some(),
            raw.regex.is_some(),
            raw.file.is_some(),
            raw.dependency.is_some(),
            raw.global.is_some(),
            raw.analyzer.is_some(),
            raw.all.is_some(),
            raw.any.is_some(),
            raw.not.is_some(),
        ];
        let count = kinds.iter().filter(|k| **k).count();
        let (line, col) = first_span(&raw);
        if count != 1 {
            return Err(self.err(
                line,
                col,
                rule,
                format!(
                    "a matcher needs exactly one of query, regex, file, dependency, global, analyzer, all, any, not (found {count})"
                ),
            ));
        }
        let within = match &raw.within {
            None => None,
            Some(w) => Some(match w.value.as_str() {
                "node" => Within::Node,
                "file" => Within::File,
                "around" => Within::Around,
                "app" => Within::App,
                "entry" => Within::Entry,
                other => {
                    return Err(self.span_err(
                        w,
                        rule,
                        format!("unknown `in: {other}`: use node, around, file, app or entry"),
                    ))
                }
            }),
        };
        let confidence = match &raw.confidence {
            None => Confidence::High,
            Some(c) if c.value == "high" => Confidence::High,
            Some(c) if c.value == "medium" => Confidence::Medium,
            Some(c) => {
                return Err(self.span_err(c, rule, "confidence is `high` or `medium`"));
            }
        };
        let files = match &raw.files {
            // A condition looks at the files its parent looks at (a package.json, a workflow).
            None => self
                .parent_for(within)
                .and_then(|p| self.patterns[p].files.clone()),
            Some(globs) => Some(self.globset(globs, rule, line, col)?),
        };
        let explicit_literals = raw.literals.clone();
        let mut name = raw.name.clone();
        let kind = if let Some(q) = &raw.query {
            name.get_or_insert_with(|| summarize(&q.value));
            let literals = explicit_literals.unwrap_or_else(|| query_literals(&q.value));
            let required = query_required_groups(&q.value);
            let line = block_line(self.text, q.referenced.line() as usize);
            self.patterns.push(Pattern {
                kind: PatternKind::Query {
                    source: q.value.clone(),
                },
                files,
                tests: raw.tests,
                literals,
                required,
                rule: rule.to_string(),
                origin: (self.file.to_string(), line, q.referenced.column() as usize),
                builtin: self.builtin,
                parent: self.parent_for(within),
            });
            Kind::Pattern(self.patterns.len() - 1)
        } else if let Some(r) = &raw.regex {
            name.get_or_insert_with(|| summarize(&r.value));
            let (regex, hir) = LazyRegex::new(&r.value).map_err(|e| {
                self.span_err(
                    r,
                    rule,
                    format!("bad regex: {}", e.lines().last().unwrap_or(&e)),
                )
            })?;
            let literals = explicit_literals.unwrap_or_else(|| literals_of(&hir));
            self.patterns.push(Pattern {
                kind: PatternKind::Regex(regex),
                files,
                tests: raw.tests,
                literals,
                required: Vec::new(),
                rule: rule.to_string(),
                origin: (
                    self.file.to_string(),
                    r.referenced.line() as usize,
                    r.referenced.column() as usize,
                ),
                builtin: self.builtin,
                parent: self.parent_for(within),
            });
            Kind::Pattern(self.patterns.len() - 1)
        } else if let Some(globs) = &raw.file {
            name.get_or_insert_with(|| globs.join(" or "));
            let ancestors = match &raw.search {
                None => false,
                Some(s) if s.value == "app" => false,
                Some(s) if s.value == "app-or-ancestors" => true,
                Some(s) => {
                    return Err(self.span_err(s, rule, "search is `app` or `app-or-ancestors`"));
                }
            };
            let plain = |g: &String| !g.contains(['*', '?', '[', '{', '\\', '/']);
            Kind::Files {
                globs: self.globset(globs, rule, line, col)?,
                names: globs.iter().all(plain).then(|| globs.clone()),
                ancestors,
            }
        } else if let Some(deps) = &raw.dependency {
            name.get_or_insert_with(|| format!("dependency {}", deps.join(" / ")));
            Kind::Dependency(deps.clone())
        } else if let Some(g) = raw.global {
            let spec = self.global(g, rule)?;
            name.get_or_insert_with(|| format!("a globally bound {}", spec.class));
            Kind::Global(spec)
        } else if let Some(a) = &raw.analyzer {
            let spec = self.analyzer(a, raw.options.as_ref(), rule)?;
            name.get_or_insert_with(|| a.value.clone());
            Kind::Analyzer(spec)
        } else if let Some(items) = raw.all {
            let inner = self.matchers(items, rule, default)?;
            name.get_or_insert_with(|| join_names(&inner, " and "));
            Kind::All(inner)
        } else if let Some(items) = raw.any {
            let inner = self.matchers(items, rule, default)?;
            name.get_or_insert_with(|| join_names(&inner, " or "));
            Kind::Any(inner)
        } else if let Some(inner) = raw.not {
            let inner = self.matcher(*inner, rule, default)?;
            name.get_or_insert_with(|| format!("no {}", inner.name));
            Kind::Not(Box::new(inner))
        } else {
            unreachable!("exactly one kind was counted above")
        };
        let outer_parent = self.node_parent;
        self.node_parent = None;
        let when = self.matchers(raw.when, rule, Within::App)?;
        if let Kind::Pattern(id) = kind {
            self.node_parent = Some(id);
        }
        let and = self.matchers(raw.and, rule, Within::Node)?;
        let unless = self.matchers(raw.unless, rule, Within::Node)?;
        self.node_parent = outer_parent;
        // A pattern's match counts only where each `and` condition inside its node or file
        // holds, so the file must hold one of each such condition's literals: the prefilter
        // then skips (and never parses) a file that lacks them.
        if let Kind::Pattern(id) = kind {
            for c in &and {
                let local = matches!(
                    c.within,
                    None | Some(Within::Node) | Some(Within::Around) | Some(Within::File)
                );
                if let (true, Kind::Pattern(cid)) = (local, &c.kind) {
                    let literals = self.patterns[*cid].literals.clone();
                    if !literals.is_empty() {
                        self.patterns[id].required.push(literals);
                    }
                }
            }
        }
        Ok(Matcher {
            name: name.unwrap_or_default(),
            kind,
            within,
            when,
            and,
            unless,
            message: raw.message,
            missing: raw.missing,
            confidence,
        })
    }

    /// The parent pattern of a condition that looks inside the parent's node or file (None
    /// for `in: app|entry`, which may look anywhere).
    fn parent_for(&self, within: Option<Within>) -> Option<usize> {
        match within {
            None | Some(Within::Node) | Some(Within::Around) | Some(Within::File) => {
                self.node_parent
            }
            _ => None,
        }
    }

    fn matchers(
        &mut self,
        raw: Vec<RawMatcher>,
        rule: &str,
        default: Within,
    ) -> Result<Vec<Matcher>, RuleError> {
        raw.into_iter()
            .map(|m| self.matcher(m, rule, default))
            .collect()
    }

    fn analyzer(
        &self,
        name: &Spanned<String>,
        options: Option<&Spanned<std::collections::BTreeMap<String, Vec<String>>>>,
        rule: &str,
    ) -> Result<AnalyzerSpec, RuleError> {
        let analyzer = Analyzer::parse(&name.value).ok_or_else(|| {
            self.span_err(
                name,
                rule,
                format!(
                    "unknown analyzer `{}`: use one of {}",
                    name.value,
                    Analyzer::names().join(", ")
                ),
            )
        })?;
        let options = options.map(|o| o.value.clone()).unwrap_or_default();
        if let Some(bad) = options
            .keys()
            .find(|k| !analyzer.options().contains(&k.as_str()))
        {
            let span = options_span(name);
            let known = analyzer.options();
            return Err(self.err(
                span.0,
                span.1,
                rule,
                if known.is_empty() {
                    format!("analyzer `{}` takes no options (found `{bad}`)", name.value)
                } else {
                    format!(
                        "unknown option `{bad}` of analyzer `{}`: use {}",
                        name.value,
                        known.join(", ")
                    )
                },
            ));
        }
        for key in ["exempt_paths", "review_paths"] {
            if let Some(globs) = options.get(key) {
                let (line, col) = options_span(name);
                self.globset(globs, rule, line, col)?;
            }
        }
        Ok(AnalyzerSpec { analyzer, options })
    }

    fn global(&self, g: RawGlobal, rule: &str) -> Result<GlobalSpec, RuleError> {
        let kind = GlobalKind::parse(&g.kind.value).ok_or_else(|| {
            self.span_err(
                &g.kind,
                rule,
                "global kind is guard, pipe, filter or interceptor",
            )
        })?;
        Ok(GlobalSpec {
            kind,
            class: g.class,
            options: g.options.into_iter().collect(),
        })
    }

    fn globset(
        &self,
        globs: &[String],
        rule: &str,
        line: usize,
        col: usize,
    ) -> Result<GlobSet, RuleError> {
        let mut builder = GlobSetBuilder::new();
        for g in globs {
            let glob = Glob::new(g)
                .map_err(|e| self.err(line, col, rule, format!("bad glob `{g}`: {e}")))?;
            builder.add(glob);
        }
        builder
            .build()
            .map_err(|e| self.err(line, col, rule, format!("bad globs: {e}")))
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
}

/// The first line/column we know of a matcher, for errors that concern the matcher as a whole.
fn first_span(raw: &RawMatcher) -> (usize, usize) {
    let spans = [
        &raw.query,
        &raw.regex,
        &raw.search,
        &raw.within,
        &raw.confidence,
    ];
    if let Some(s) = spans.into_iter().flatten().next() {
        return (s.referenced.line() as usize, s.referenced.column() as usize);
    }
    if let Some(a) = &raw.analyzer {
        return (a.referenced.line() as usize, a.referenced.column() as usize);
    }
    if let Some(g) = &raw.global {
        return (
            g.kind.referenced.line() as usize,
            g.kind.referenced.column() as usize,
        );
    }
    (0, 0)
}

/// Where an analyzer's options are reported: its `options:` follow the `analyzer:` line.
fn options_span(name: &Spanned<String>) -> (usize, usize) {
    (
        name.referenced.line() as usize + 1,
        name.referenced.column() as usize,
    )
}

/// A block scalar (`query: |`) starts on the next line; return the line of its first row.
fn block_line(text: &str, line: usize) -> usize {
    let Some(l) = text.lines().nth(line.saturating_sub(1)) else {
        return line;
    };
    let rest = l.split_once(':').map(|(_, r)| r.trim()).unwrap_or("");
    if rest.starts_with('|') || rest.starts_with('>') {
        line + 1
    } else {
        line
    }
}

fn summarize(source: &str) -> String {
    let first = source
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    first.chars().take(60).collect()
}

fn join_names(items: &[Matcher], sep: &str) -> String {
    items
        .iter()
        .map(|m| m.name.as_str())
        .collect::<Vec<_>>()
        .join(sep)
}

/// Literals a query cannot match without: every string in its `#eq?` / `#any-of?` predicates.
/// Their union is a safe over-approximation when each pattern carries such a predicate.
pub fn query_literals(source: &str) -> Vec<String> {
    let shape = QueryShape::of(source);
    // A predicate on a capture that is absent from a match (another alternative, an
    // optional or repeated node) passes, so its string is not needed; nor is any string when
    // one top-level pattern has no predicate at all. Then: no literal, run everywhere (or
    // write `literals:` by hand).
    if shape.alternation || shape.quantifier || shape.patterns != shape.patterns_with_predicate {
        return Vec::new();
    }
    let mut out: Vec<String> = query_literal_groups(source).into_iter().flatten().collect();
    out.sort();
    out.dedup();
    out
}

/// The query without `;` comments (strings kept).
fn strip_comments(source: &str) -> String {
    let mut out = String::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut in_comment = false;
    for c in source.chars() {
        if in_comment {
            if c == '\n' {
                in_comment = false;
                out.push(c);
            }
            continue;
        }
        if in_string {
            out.push(c);
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => escaped = false,
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            ';' => in_comment = true,
            _ => out.push(c),
        }
    }
    out
}

/// What decides whether a query's predicate strings are really needed by every match.
struct QueryShape {
    patterns: usize,
    patterns_with_predicate: usize,
    alternation: bool,
    quantifier: bool,
}

impl QueryShape {
    /// Reads the query's structure with strings and `;` comments removed.
    fn of(source: &str) -> QueryShape {
        let mut skeleton = String::new();
        let mut chars = source.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => {
                    while let Some(d) = chars.next() {
                        match d {
                            '\\' => {
                                chars.next();
                            }
                            '"' => break,
                            _ => {}
                        }
                    }
                    skeleton.push_str("\"\"");
                }
                ';' => {
                    for d in chars.by_ref() {
                        if d == '\n' {
                            break;
                        }
                    }
                    skeleton.push('\n');
                }
                _ => skeleton.push(c),
            }
        }
        let without_predicates = PREDICATE_NAME.replace_all(&skeleton, "");
        let mut shape = QueryShape {
            patterns: 0,
            patterns_with_predicate: 0,
            alternation: skeleton.contains('['),
            quantifier: without_predicates.contains(['?', '*', '+']),
        };
        let mut depth = 0usize;
        let mut current_has_predicate = false;
        for (i, b) in skeleton.bytes().enumerate() {
            match b {
                b'(' | b'[' => {
                    let rest = &skeleton[i..];
                    let is_predicate = rest.starts_with("(#");
                    if depth == 0 && !is_predicate {
                        if shape.patterns > 0 && current_has_predicate {
                            shape.patterns_with_predicate += 1;
                        }
                        shape.patterns += 1;
                        current_has_predicate = false;
                    }
                    if rest.starts_with("(#eq?") || rest.starts_with("(#any-of?") {
                        current_has_predicate = true;
                    }
                    depth += 1;
                }
                b')' | b']' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        if shape.patterns > 0 && current_has_predicate {
            shape.patterns_with_predicate += 1;
        }
        shape
    }
}

static PREDICATE_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"#[\w-]+[?!]").expect("static regex"));

static PREDICATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\(#(?:eq|any-of)\?\s+@[\w.-]+((?:\s+"(?:[^"\\]|\\.)*")+)\s*\)"#)
        .expect("static regex")
});
static STRING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""((?:[^"\\]|\\.)*)""#).expect("static regex"));

/// The strings of each `#eq?` / `#any-of?` predicate of a query, one group per predicate.
fn query_literal_groups(source: &str) -> Vec<Vec<String>> {
    let source = &strip_comments(source);
    PREDICATE
        .captures_iter(source)
        .map(|caps| {
            STRING
                .captures_iter(&caps[1])
                .map(|s| s[1].replace("\\\"", "\"").replace("\\\\", "\\"))
                .filter(|l| !l.is_empty())
                .collect::<Vec<String>>()
        })
        .filter(|g| !g.is_empty())
        .collect()
}

/// For a query without alternations (`[...]`), every predicate must hold, so a file must
/// contain one string of EACH predicate: a stronger test than the prefilter's any-of.
pub fn query_required_groups(source: &str) -> Vec<Vec<String>> {
    let shape = QueryShape::of(source);
    if shape.alternation
        || shape.quantifier
        || shape.patterns != 1
        || shape.patterns_with_predicate != 1
    {
        return Vec::new();
    }
    query_literal_groups(source)
}

/// Literals every match of a regex must contain, when regex-syntax can name a small set.
pub fn regex_literals(pattern: &str) -> Vec<String> {
    regex_syntax::parse(pattern)
        .map(|hir| literals_of(&hir))
        .unwrap_or_default()
}

fn literals_of(hir: &regex_syntax::hir::Hir) -> Vec<String> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    // Prefixes or suffixes, whichever set is more selective (its shortest literal longest):
    // `(?:from|require\()['"]pino['"]` is better filtered on `pino'` than on `from`.
    let mut best: Vec<String> = Vec::new();
    for kind in [ExtractKind::Prefix, ExtractKind::Suffix] {
        let mut extractor = Extractor::new();
        extractor.kind(kind);
        let seq = extractor.extract(hir);
        if let Some(lits) = seq.literals() {
            let mut out: Vec<String> = lits
                .iter()
                .filter_map(|l| std::str::from_utf8(l.as_bytes()).ok())
                // Quotes around a module name add variants, not selectivity.
                .map(|s| {
                    s.trim_matches(|c| c == '\'' || c == '"' || c == '`')
                        .to_string()
                })
                .collect();
            out.sort();
            out.dedup();
            let usable =
                !out.is_empty() && out.len() <= 32 && out.iter().all(|s| s.trim().len() >= 3);
            if usable && (best.is_empty() || shortest(&out) > shortest(&best)) {
                best = out;
            }
        }
    }
    best
}

/// How selective a literal set is: its shortest literal's length, or 0 when it holds a word
/// that nearly every source file contains.
fn shortest(literals: &[String]) -> usize {
    const COMMON: &[&str] = &[
        "from", "import", "require(", "require", "export", "const", "return", "this.",
    ];
    if literals.iter().any(|l| COMMON.contains(&l.trim())) {
        return 0;
    }
    literals.iter().map(|l| l.trim().len()).min().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_literals_come_from_eq_and_any_of() {
        let q = r#"(call_expression function: (identifier) @f (#eq? @f "helmet")) (x) @y (#any-of? @y "a1" "b2")"#;
        assert_eq!(query_literals(q), vec!["a1", "b2", "helmet"]);
    }

    #[test]
    fn literals_are_only_derived_when_every_match_needs_them() {
        let two = r#"(call_expression function: (identifier) @f (#eq? @f "alpha")) (call_expression function: (identifier) @g (#eq? @g "beta"))"#;
        assert_eq!(query_literals(two), vec!["alpha", "beta"]);
        assert!(
            query_required_groups(two).is_empty(),
            "each pattern needs only its own"
        );
        let one_without =
            r#"(call_expression function: (identifier) @f (#eq? @f "alpha")) (new_expression) @n"#;
        assert!(query_literals(one_without).is_empty());
        let optional = r#"(call_expression function: (identifier)? @f (#eq? @f "alpha"))"#;
        assert!(query_literals(optional).is_empty());
        let commented = "; (#eq? @f \"gamma\")\n(call_expression function: (identifier) @f (#eq? @f \"alpha\"))";
        assert_eq!(
            query_required_groups(commented),
            vec![vec!["alpha".to_string()]]
        );
    }

    #[test]
    fn required_groups_only_without_alternation() {
        let plain = r#"(call_expression function: (member_expression object: (identifier) @o property: (property_identifier) @m) (#eq? @o "NestFactory") (#any-of? @m "create" "init"))"#;
        assert_eq!(
            query_required_groups(plain),
            vec![
                vec!["NestFactory".to_string()],
                vec!["create".to_string(), "init".to_string()]
            ]
        );
        let alt = r#"(call_expression function: [(identifier) @f (member_expression property: (property_identifier) @f)] (#eq? @f "x"))"#;
        assert!(query_required_groups(alt).is_empty());
        assert!(query_required_groups(r#"((string) @s (#eq? @s "[x]"))"#).len() == 1);
    }

    #[test]
    fn regex_literals_are_extracted_or_empty() {
        assert_eq!(regex_literals(r"\bhelmet\s*\("), vec!["helmet"]);
        assert_eq!(
            regex_literals(r"(cleanEnv|createEnv)\("),
            vec!["cleanEnv(", "createEnv("]
        );
        assert!(regex_literals(r"\w+").is_empty());
    }
}
