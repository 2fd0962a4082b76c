//! The one place that wires the pipeline:
//! settings → rules → walk → per-file scan → (phase boundary) → apps, facts → evaluation →
//! suppressions → report.

use crate::analyzers::env_files::EnvIndex;
use crate::analyzers::nest_global::NestIndex;
use crate::analyzers::prisma::PrismaIndex;
use crate::config::Settings;
use crate::eval::{units, Evaluator};
use crate::facts::package::Package;
use crate::model::{AppInfo, Finding, Location, RuleStatus, Status};
use crate::report::{Report, RuleMeta};
use crate::rules::RuleSet;
use crate::suppress;
use crate::workspace::apps::{self, App};
use crate::workspace::imports::ImportGraph;
use crate::workspace::scan;
use rayon::prelude::*;
use std::collections::BTreeMap;

pub fn audit(settings: &Settings, rules: &RuleSet) -> Report {
    let root = &settings.root;
    let git_index = rules
        .uses_analyzer(crate::analyzers::Analyzer::EnvCommitted)
        .then(|| crate::analyzers::env_files::start_git_read(root));
    let first = scan::read_all(root, &settings.ignore, rules);
    // Phase boundary: every file has been read. The import graph and the apps need only
    // what phase 1 found, so they are built while phase 2 parses.
    let (second, (graph, apps)) = rayon::join(
        || first.parse_pending_files(),
        || {
            let paths: Vec<&str> = first.files.iter().map(|f| f.rel.as_str()).collect();
            let imports: Vec<&[String]> = first
                .files
                .iter()
                .map(|f| f.facts.imports.as_slice())
                .collect();
            let graph = ImportGraph::build(&paths, &imports);
            let apps = apps::discover(&first.files, &graph);
            crate::timing::mark("import graph and apps built");
            (graph, apps)
        },
    );
    let (files, mut notes) = first.absorb(second);
    crate::timing::mark("files scanned and parsed");
    let all_paths: Vec<String> = files.iter().map(|f| f.rel.clone()).collect();
    let repo = repo_unit(&files);
    let nest = NestIndex::new(&files, root);
    let prisma = PrismaIndex::new(&files, &graph, &all_paths, settings.tenant.clone());
    let env = EnvIndex::new(root, &apps, git_index);
    crate::timing::mark("indexes built");
    let evaluator = Evaluator::new(rules, &files, &all_paths, &graph, &nest, &prisma, &env);

    let enabled: Vec<&crate::rules::Rule> = rules
        .rules
        .iter()
        .filter(|r| !settings.disabled.contains(&r.id))
        .collect();
    // Units (and their import closures) are built once per scope, not once per rule.
    let mut units_by_scope = Vec::new();
    for rule in &enabled {
        if !units_by_scope.iter().any(|(scope, _)| *scope == rule.scope) {
            units_by_scope.push((
                rule.scope,
                units(rule.scope, &apps, &repo, &files, &graph, &prisma),
            ));
        }
    }
    // Rules are independent: judged in parallel, gathered in rule order.
    let judged: Vec<(Vec<Finding>, Vec<RuleStatus>)> = enabled
        .par_iter()
        .map(|rule| {
            let scope_units = units_by_scope
                .iter()
                .find(|(scope, _)| *scope == rule.scope)
                .map(|(_, u)| u.as_slice())
                .unwrap_or_default();
            judge_rule(settings, &evaluator, rule, scope_units)
        })
        .collect();
    let mut findings = Vec::new();
    let mut statuses = Vec::new();
    for (found, status) in judged {
        findings.extend(found);
        statuses.extend(status);
    }
    crate::timing::mark("rules evaluated");
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    // One finding per rule and place: a call site two Prisma schemas share (a mysql and a
    // postgresql copy of one schema) is one problem, reported with the first schema's words.
    findings.dedup_by(|a, b| a.place_key() == b.place_key());
    crate::analyzers::secrets::redact_findings(&mut findings, &files);
    suppress::apply(&mut findings, &files, &mut notes);
    // A rule whose every finding in an app is suppressed passes there.
    for st in statuses.iter_mut().filter(|s| s.status == Status::Fail) {
        let open = findings
            .iter()
            .any(|f| f.rule == st.rule && f.app == st.app && f.suppressed.is_none());
        if !open {
            st.status = Status::Pass;
            st.detail = "all findings suppressed".into();
        }
    }
    notes.sort();
    notes.dedup();

    Report {
        root: root.display().to_string(),
        apps: apps.iter().map(|a| app_info(a, &files)).collect(),
        rules: rules
            .rules
            .iter()
            .filter(|r| !settings.disabled.contains(&r.id))
            .map(|r| RuleMeta {
                id: r.id.clone(),
                title: r.title.clone(),
                priority: settings
                    .priorities
                    .get(&r.id)
                    .copied()
                    .unwrap_or(r.priority),
                category: r.category.clone(),
            })
            .collect(),
        findings,
        statuses,
        notes,
        fail_on: settings.fail_on,
    }
}

/// One rule over the units of its scope: its findings, and its status per app.
fn judge_rule(
    settings: &Settings,
    evaluator: &Evaluator,
    rule: &crate::rules::Rule,
    scope_units: &[crate::eval::Unit],
) -> (Vec<Finding>, Vec<RuleStatus>) {
    let priority = settings
        .priorities
        .get(&rule.id)
        .copied()
        .unwrap_or(rule.priority);
    if scope_units.is_empty() {
        let status = RuleStatus {
            rule: rule.id.clone(),
            app: "-".into(),
            status: Status::NotApplicable,
            detail: scope_absent(rule.scope).into(),
        };
        return (Vec::new(), vec![status]);
    }
    let mut findings = Vec::new();
    // Entry-scoped rules judge each entry point; fold them into one status per app.
    let mut per_app: BTreeMap<String, RuleStatus> = BTreeMap::new();
    for unit in scope_units {
        let (mut found, status) = evaluator.judge(rule, unit);
        for f in &mut found {
            f.priority = priority;
        }
        findings.extend(found);
        per_app
            .entry(status.app.clone())
            .and_modify(|s| {
                if status.status == Status::Fail || s.status == Status::NotApplicable {
                    *s = status.clone();
                }
            })
            .or_insert(status);
    }
    (findings, per_app.into_values().collect())
}

fn scope_absent(scope: crate::rules::Scope) -> &'static str {
    use crate::rules::Scope::*;
    match scope {
        Repo => "empty repository",
        App | Entry => "no backend application found",
        HttpApp => "no HTTP application found",
        WorkerApp => "no queue worker found",
        Prisma => "no Prisma schema found",
    }
}

fn app_info(app: &App, files: &[scan::ScannedFile]) -> AppInfo {
    AppInfo {
        name: app.name.clone(),
        path: if app.root.is_empty() {
            ".".into()
        } else {
            app.root.clone()
        },
        kinds: app.kinds(),
        entries: app
            .entries
            .iter()
            .map(|e| format!("{}:{}", files[e.file].rel, e.line))
            .collect(),
    }
}

/// The whole repository as one unit, for repo-scoped rules.
fn repo_unit(files: &[scan::ScannedFile]) -> App {
    let root_pkg: Option<(&str, &Package)> = files
        .iter()
        .find(|f| f.rel == "package.json")
        .and_then(|f| f.package.as_ref().map(|p| (f.rel.as_str(), p)));
    let deps = root_pkg
        .map(|(file, p)| {
            p.runtime
                .iter()
                .chain(p.dev.iter())
                .map(|(n, l)| (n.clone(), (file.to_string(), *l)))
                .collect()
        })
        .unwrap_or_default();
    App {
        name: "repo".into(),
        root: String::new(),
        manifest: root_pkg.map(|(f, _)| f.to_string()),
        deps,
        files: (0..files.len()).collect(),
        entries: Vec::new(),
        http: false,
        worker: false,
        anchor: Location {
            path: root_pkg
                .map(|(f, _)| f.to_string())
                .unwrap_or_else(|| ".".into()),
            line: 1,
            column: 1,
        },
    }
}
