//! Evaluation: each rule, in each of its scope units (repository, application, entry point),
//! against the hits and facts the scan collected. Runs after every file has been scanned:
//! this is the cross-file phase.

use crate::analyzers::env_files::EnvIndex;
use crate::analyzers::nest_global::NestIndex;
use crate::analyzers::prisma::PrismaIndex;
use crate::analyzers::{routes, secrets, Analyzer, Site};
use crate::model::{Confidence, Finding, Location, RuleStatus, Status};
use crate::rules::{Anchor, Kind, Matcher, Rule, RuleSet, Scope, Within};
use crate::workspace::apps::{contains, App};
use crate::workspace::imports::ImportGraph;
use crate::workspace::scan::{Hit, ScannedFile};
use std::collections::BTreeSet;

/// Evidence: where something was found and the text that shows it.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub location: Location,
    pub snippet: String,
}

#[derive(Debug, Clone)]
pub enum Outcome {
    Found(Option<Evidence>),
    Missing,
    /// Partly there: e.g. ThrottlerModule imported but no global guard.
    Partial(Evidence, String),
    /// Present but not verifiable from the code (options from an unresolved import).
    Unknown(Evidence, String),
    NotApplicable,
}

impl Outcome {
    fn is_found(&self) -> bool {
        matches!(self, Outcome::Found(_))
    }
}

/// The part of the tree a matcher looks at.
#[derive(Debug, Clone, Copy)]
pub enum Region<'a> {
    Files(&'a BTreeSet<usize>),
    File(usize),
    Node {
        file: usize,
        start: usize,
        end: usize,
    },
    /// Matches that enclose this range.
    Around {
        file: usize,
        start: usize,
        end: usize,
    },
}

/// One place a rule is judged: an app, one entry point of an app, or the repository.
pub struct Unit<'a> {
    pub app: &'a App,
    pub files: BTreeSet<usize>,
    pub entry: Option<BTreeSet<usize>>,
    pub anchor: Location,
    pub label: String,
    /// For the `prisma` scope: the Prisma project judged.
    pub prisma: Option<usize>,
}

pub struct Evaluator<'a> {
    pub rules: &'a RuleSet,
    pub files: &'a [ScannedFile],
    pub all_paths: &'a [String],
    pub graph: &'a ImportGraph,
    pub nest: &'a NestIndex<'a>,
    pub prisma: &'a PrismaIndex<'a>,
    pub env: &'a EnvIndex,
    /// pattern id → (file index, hit index), in file order.
    by_pattern: Vec<Vec<(usize, usize)>>,
}

impl<'a> Evaluator<'a> {
    pub fn new(
        rules: &'a RuleSet,
        files: &'a [ScannedFile],
        all_paths: &'a [String],
        graph: &'a ImportGraph,
        nest: &'a NestIndex<'a>,
        prisma: &'a PrismaIndex<'a>,
        env: &'a EnvIndex,
    ) -> Self {
        let mut by_pattern = vec![Vec::new(); rules.patterns.len()];
        for (fi, f) in files.iter().enumerate() {
            for (hi, h) in f.hits.iter().enumerate() {
                by_pattern[h.pattern].push((fi, hi));
            }
        }
        Evaluator {
            rules,
            files,
            all_paths,
            graph,
            nest,
            prisma,
            env,
            by_pattern,
        }
    }

    fn hit(&self, at: (usize, usize)) -> &Hit {
        &self.files[at.0].hits[at.1]
    }

    fn evidence(&self, at: (usize, usize)) -> Evidence {
        let h = self.hit(at);
        Evidence {
            location: Location {
                path: self.files[at.0].rel.clone(),
                line: h.line,
                column: h.column,
            },
            snippet: h.snippet.clone(),
        }
    }

    fn in_region(&self, at: (usize, usize), region: Region) -> bool {
        match region {
            Region::Files(set) => set.contains(&at.0),
            Region::File(f) => f == at.0,
            Region::Node { file, start, end } => {
                let h = self.hit(at);
                file == at.0 && h.start >= start && h.end <= end
            }
            Region::Around { file, start, end } => {
                let h = self.hit(at);
                file == at.0 && h.start <= start && h.end >= end
            }
        }
    }

    /// The region a matcher with `in:` looks at, given the region it was asked about.
    fn narrow<'r>(&self, m: &Matcher, region: Region<'r>, unit: &'r Unit) -> Region<'r> {
        match m.within {
            None | Some(Within::Node) => region,
            Some(Within::File) => match region {
                Region::Node { file, .. } | Region::Around { file, .. } => Region::File(file),
                other => other,
            },
            Some(Within::Around) => match region {
                Region::Node { file, start, end } => Region::Around { file, start, end },
                other => other,
            },
            Some(Within::App) => Region::Files(&unit.files),
            Some(Within::Entry) => Region::Files(unit.entry.as_ref().unwrap_or(&unit.files)),
        }
    }

    /// Hits of a pattern matcher in a region that pass its `and` / `unless` conditions.
    pub fn surviving_hits(&self, m: &Matcher, region: Region, unit: &Unit) -> Vec<(usize, usize)> {
        let Kind::Pattern(p) = m.kind else {
            return Vec::new();
        };
        let region = self.narrow(m, region, unit);
        self.by_pattern[p]
            .iter()
            .copied()
            .filter(|&at| self.in_region(at, region))
            .filter(|&at| {
                let h = self.hit(at);
                let node = Region::Node {
                    file: at.0,
                    start: h.start,
                    end: h.end,
                };
                m.and.iter().all(|c| self.eval(c, node, unit).is_found())
                    && !m.unless.iter().any(|c| self.eval(c, node, unit).is_found())
            })
            .collect()
    }

    pub fn eval(&self, m: &Matcher, region: Region, unit: &Unit) -> Outcome {
        if !m
            .when
            .iter()
            .all(|c| self.eval(c, Region::Files(&unit.files), unit).is_found())
        {
            return Outcome::NotApplicable;
        }
        let region = self.narrow(m, region, unit);
        let outcome = match &m.kind {
            Kind::Pattern(_) => match self.surviving_hits(m, region, unit).first() {
                Some(&at) => Outcome::Found(Some(self.evidence(at))),
                None => Outcome::Missing,
            },
            Kind::Files {
                globs,
                names,
                ancestors,
            } => self.files_present(globs, names.as_deref(), *ancestors, unit.app),
            Kind::Dependency(names) => names
                .iter()
                .find_map(|n| unit.app.deps.get(n).map(|(file, line)| (n, file, *line)))
                .map(|(n, file, line)| {
                    Outcome::Found(Some(Evidence {
                        location: Location {
                            path: file.clone(),
                            line,
                            column: 1,
                        },
                        snippet: format!("\"{n}\""),
                    }))
                })
                .unwrap_or(Outcome::Missing),
            Kind::Global(spec) => {
                let set = match region {
                    Region::Files(s) => s.clone(),
                    Region::File(f)
                    | Region::Node { file: f, .. }
                    | Region::Around { file: f, .. } => BTreeSet::from([f]),
                };
                self.nest.resolve(spec, &set, m.message.as_deref())
            }
            Kind::Analyzer(_) => match self.analyzer_sites(m, unit).into_iter().next() {
                Some(site) => Outcome::Found(Some(Evidence {
                    location: site.location,
                    snippet: site.snippet,
                })),
                None => Outcome::Missing,
            },
            Kind::All(items) => self.all(m, items, region, unit),
            Kind::Any(items) => self.any(items, region, unit),
            Kind::Not(inner) => match self.eval(inner, region, unit) {
                Outcome::Missing => Outcome::Found(None),
                Outcome::NotApplicable => Outcome::NotApplicable,
                _ => Outcome::Missing,
            },
        };
        // Conditions on non-pattern matchers apply to the whole outcome.
        if !matches!(m.kind, Kind::Pattern(_)) && outcome.is_found() {
            let ok = m.and.iter().all(|c| self.eval(c, region, unit).is_found())
                && !m
                    .unless
                    .iter()
                    .any(|c| self.eval(c, region, unit).is_found());
            if !ok {
                return Outcome::Missing;
            }
        }
        outcome
    }

    fn all(&self, m: &Matcher, items: &[Matcher], region: Region, unit: &Unit) -> Outcome {
        let outcomes: Vec<(&Matcher, Outcome)> = items
            .iter()
            .map(|i| (i, self.eval(i, region, unit)))
            .filter(|(_, o)| !matches!(o, Outcome::NotApplicable))
            .collect();
        if outcomes.is_empty() {
            return Outcome::NotApplicable;
        }
        if let Some((_, o)) = outcomes
            .iter()
            .find(|(_, o)| matches!(o, Outcome::Partial(..) | Outcome::Unknown(..)))
        {
            return o.clone();
        }
        // The first item is what makes the others matter (ThrottlerModule → its guard): when
        // it is absent, the group is simply missing, not partly there.
        if !outcomes[0].1.is_found() {
            return Outcome::Missing;
        }
        let found: Vec<&(&Matcher, Outcome)> =
            outcomes.iter().filter(|(_, o)| o.is_found()).collect();
        if found.len() == outcomes.len() {
            return found[0].1.clone();
        }
        let first_evidence = found.iter().find_map(|(_, o)| match o {
            Outcome::Found(Some(ev)) => Some(ev.clone()),
            _ => None,
        });
        match first_evidence {
            Some(ev) => {
                let missing: Vec<&str> = outcomes
                    .iter()
                    .filter(|(_, o)| !o.is_found())
                    .map(|(i, _)| i.name.as_str())
                    .collect();
                let found_names: Vec<&str> = found.iter().map(|(i, _)| i.name.as_str()).collect();
                let detail = match &m.message {
                    Some(msg) => msg.replace("{at}", &ev.location.to_string()),
                    None => format!(
                        "{} is present ({}) but {} is missing",
                        found_names.join(" and "),
                        ev.location,
                        missing.join(" and ")
                    ),
                };
                Outcome::Partial(ev, detail)
            }
            None => Outcome::Missing,
        }
    }

    fn any(&self, items: &[Matcher], region: Region, unit: &Unit) -> Outcome {
        let outcomes: Vec<Outcome> = items
            .iter()
            .map(|i| self.eval(i, region, unit))
            .filter(|o| !matches!(o, Outcome::NotApplicable))
            .collect();
        if outcomes.is_empty() {
            return Outcome::NotApplicable;
        }
        if let Some(found) = outcomes.iter().find(|o| o.is_found()) {
            return found.clone();
        }
        if let Some(p) = outcomes.iter().find(|o| matches!(o, Outcome::Partial(..))) {
            return p.clone();
        }
        if let Some(u) = outcomes.iter().find(|o| matches!(o, Outcome::Unknown(..))) {
            return u.clone();
        }
        Outcome::Missing
    }

    fn files_present(
        &self,
        globs: &globset::GlobSet,
        names: Option<&[String]>,
        ancestors: bool,
        app: &App,
    ) -> Outcome {
        let mut dirs = vec![app.root.clone()];
        if ancestors {
            let mut d = app.root.as_str();
            while !d.is_empty() {
                d = d.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
                dirs.push(d.to_string());
            }
        }
        let found = |path: &String| {
            Outcome::Found(Some(Evidence {
                location: Location {
                    path: path.clone(),
                    line: 1,
                    column: 1,
                },
                snippet: path.clone(),
            }))
        };
        for dir in dirs {
            // Plain names: a lookup in the sorted path list, not a glob test of every file.
            if let Some(names) = names {
                let first = names
                    .iter()
                    .map(|n| {
                        if dir.is_empty() {
                            n.clone()
                        } else {
                            format!("{dir}/{n}")
                        }
                    })
                    .filter_map(|p| self.all_paths.binary_search(&p).ok())
                    .min();
                if let Some(i) = first {
                    return found(&self.all_paths[i]);
                }
                continue;
            }
            for path in self.all_paths.iter().filter(|p| contains(&dir, p)) {
                let rel = if dir.is_empty() {
                    path.as_str()
                } else {
                    &path[dir.len() + 1..]
                };
                if globs.is_match(rel) {
                    return found(path);
                }
            }
        }
        Outcome::Missing
    }

    /// Judges one rule in one unit: its findings and its status there.
    pub fn judge(&self, rule: &Rule, unit: &Unit) -> (Vec<Finding>, RuleStatus) {
        let region_set = unit.entry.as_ref().unwrap_or(&unit.files);
        let region = Region::Files(region_set);
        let status = |status: Status, detail: String| RuleStatus {
            rule: rule.id.clone(),
            app: unit.label.clone(),
            status,
            detail,
        };
        if let Some(subject) = &rule.subject {
            if !self.eval(subject, region, unit).is_found() {
                return (
                    Vec::new(),
                    status(Status::NotApplicable, format!("no {}", subject.name)),
                );
            }
        }
        let mut findings = Vec::new();
        let mut applicable = !rule.forbid.is_empty();
        let mut pass_detail = String::new();
        if let Some(req) = &rule.require {
            let outcome = self.eval(req, region, unit);
            let unknown = matches!(outcome, Outcome::Unknown(..));
            if !matches!(outcome, Outcome::NotApplicable) {
                applicable = true;
            }
            match outcome {
                Outcome::Found(ev) => {
                    pass_detail = ev
                        .map(|e| format!("{} ({})", req.name, e.location))
                        .unwrap_or_default();
                }
                Outcome::Missing => {
                    let message = self.missing_message(req, unit);
                    let anchor = match rule.anchor {
                        Anchor::Entry => unit.anchor.clone(),
                        Anchor::Manifest => manifest_anchor(unit),
                    };
                    findings.push(self.finding(
                        rule,
                        unit,
                        anchor,
                        &message,
                        "",
                        req.confidence,
                        region_set,
                    ));
                }
                Outcome::Partial(ev, detail) | Outcome::Unknown(ev, detail) => {
                    let confidence = if unknown {
                        Confidence::Medium
                    } else {
                        req.confidence
                    };
                    findings.push(self.finding(
                        rule,
                        unit,
                        ev.location,
                        &detail,
                        &ev.snippet,
                        confidence,
                        region_set,
                    ));
                }
                Outcome::NotApplicable => {}
            }
        }
        // One finding per line: forbid entries are written most specific first.
        let mut reported: BTreeSet<(String, usize)> = BTreeSet::new();
        for f in &rule.forbid {
            if !f
                .when
                .iter()
                .all(|c| self.eval(c, Region::Files(&unit.files), unit).is_found())
            {
                continue;
            }
            if let Kind::Analyzer(_) = f.kind {
                for site in self.analyzer_sites(f, unit) {
                    if reported.insert((site.location.path.clone(), site.location.line)) {
                        findings.push(self.finding(
                            rule,
                            unit,
                            site.location,
                            &site.message,
                            &site.snippet,
                            site.confidence,
                            region_set,
                        ));
                    }
                }
                continue;
            }
            for at in self.surviving_hits(f, region, unit) {
                let ev = self.evidence(at);
                if !reported.insert((ev.location.path.clone(), ev.location.line)) {
                    continue;
                }
                let message = f
                    .message
                    .clone()
                    .unwrap_or_default()
                    .replace("{match}", &ev.snippet);
                findings.push(self.finding(
                    rule,
                    unit,
                    ev.location,
                    &message,
                    &ev.snippet,
                    f.confidence,
                    region_set,
                ));
            }
        }
        let st = if !findings.is_empty() {
            status(Status::Fail, String::new())
        } else if applicable {
            status(Status::Pass, pass_detail)
        } else {
            status(Status::NotApplicable, "nothing to check".into())
        };
        (findings, st)
    }

    /// What a named analyzer reports in this unit (Prisma analyzers: nothing outside the
    /// `prisma` scope).
    fn analyzer_sites(&self, m: &Matcher, unit: &Unit) -> Vec<Site> {
        let Kind::Analyzer(spec) = &m.kind else {
            return Vec::new();
        };
        match spec.analyzer {
            Analyzer::Secrets => secrets::sites(self.files, &unit.files),
            Analyzer::AuthRateLimit => routes::auth_rate_limit(self.files, &unit.files),
            Analyzer::WebhookSignature => routes::webhook_signature(self.files, &unit.files),
            Analyzer::EnvCommitted => self.env.committed(self.all_paths),
            Analyzer::EnvExample => self.env.example(
                unit.app,
                &unit.anchor,
                self.files,
                &unit.files,
                spec.options.get("ignore_vars").map_or(&[], Vec::as_slice),
            ),
            prisma => match unit.prisma {
                Some(project) => self.prisma.run(prisma, &spec.options, project, &unit.files),
                None => Vec::new(),
            },
        }
    }

    /// The message for a control that is absent: the message of the one alternative that
    /// applies to this app when it has its own, else the require's message.
    fn missing_message(&self, req: &Matcher, unit: &Unit) -> String {
        if let Kind::Any(items) = &req.kind {
            let applicable: Vec<&Matcher> = items
                .iter()
                .filter(|i| {
                    i.when
                        .iter()
                        .all(|c| self.eval(c, Region::Files(&unit.files), unit).is_found())
                })
                .collect();
            if let [only] = applicable.as_slice() {
                if let Some(m) = &only.missing {
                    return m.clone();
                }
            }
        }
        req.message
            .clone()
            .unwrap_or_else(|| format!("no {} found", req.name))
    }

    #[allow(clippy::too_many_arguments)]
    fn finding(
        &self,
        rule: &Rule,
        unit: &Unit,
        location: Location,
        message: &str,
        evidence: &str,
        confidence: Confidence,
        region: &BTreeSet<usize>,
    ) -> Finding {
        let mut message = message.replace("{app}", &unit.app.name);
        if message.contains("{env_vars}") {
            message = message.replace("{env_vars}", &self.env_vars(region));
        }
        if confidence == Confidence::Medium && !message.starts_with("cannot verify") {
            message = format!("cannot verify: {message}");
        }
        Finding {
            rule: rule.id.clone(),
            priority: rule.priority,
            title: rule.title.clone(),
            app: unit.label.clone(),
            location,
            message,
            evidence: evidence.to_string(),
            confidence,
            suppressed: None,
        }
    }

    /// The environment variables read in a region, for messages: up to 10, then a count.
    fn env_vars(&self, region: &BTreeSet<usize>) -> String {
        let vars: BTreeSet<&str> = region
            .iter()
            .flat_map(|&f| self.files[f].facts.env_vars.iter().map(String::as_str))
            .collect();
        if vars.is_empty() {
            return "(none found by name)".to_string();
        }
        let shown: Vec<&str> = vars.iter().take(10).copied().collect();
        let mut text = shown.join(", ");
        if vars.len() > 10 {
            text.push_str(&format!(" and {} more", vars.len() - 10));
        }
        text
    }
}

/// The package.json that governs a unit: its own, else the nearest one above it.
fn manifest_anchor(unit: &Unit) -> Location {
    let path = unit.app.manifest.clone().or_else(|| {
        unit.app
            .deps
            .values()
            .map(|(file, _)| file.clone())
            .max_by_key(|f| f.len())
    });
    match path {
        Some(path) => Location {
            path,
            line: 1,
            column: 1,
        },
        None => unit.anchor.clone(),
    }
}

/// The units a rule of the given scope is judged in.
pub fn units<'a>(
    scope: Scope,
    apps: &'a [App],
    repo: &'a App,
    files: &[ScannedFile],
    graph: &ImportGraph,
    prisma: &PrismaIndex,
) -> Vec<Unit<'a>> {
    // An app's code is its folder plus whatever its entry points import from outside it
    // (shared libs in a monorepo: `setupApp(app)` from libs/common applies helmet too).
    let app_unit = |app: &'a App| Unit {
        app,
        files: app
            .files
            .iter()
            .copied()
            .chain(app.entries.iter().flat_map(|e| graph.closure(e.file)))
            .filter(|&i| !files[i].is_test())
            .collect(),
        entry: None,
        anchor: app.anchor.clone(),
        label: app.name.clone(),
        prisma: None,
    };
    match scope {
        Scope::Repo => vec![app_unit(repo)],
        Scope::App => apps.iter().map(app_unit).collect(),
        Scope::HttpApp => apps.iter().filter(|a| a.http).map(app_unit).collect(),
        Scope::WorkerApp => apps.iter().filter(|a| a.worker).map(app_unit).collect(),
        Scope::Entry => apps
            .iter()
            .flat_map(|app| {
                if app.entries.is_empty() {
                    return vec![app_unit(app)];
                }
                app.entries
                    .iter()
                    .map(|e| {
                        let mut u = app_unit(app);
                        u.entry = Some(graph.closure(e.file));
                        u.anchor = Location {
                            path: files[e.file].rel.clone(),
                            line: e.line,
                            column: 1,
                        };
                        u
                    })
                    .collect()
            })
            .collect(),
        Scope::Prisma => prisma_units(apps, repo, files, prisma),
    }
}

/// One unit per Prisma project: its schema files, and every file that is not a test and not
/// inside an application that does not use it (so shared libs and root Dockerfiles count; an
/// app that depends on two schema packages is in both units). Labelled with the first
/// application that uses it.
fn prisma_units<'a>(
    apps: &'a [App],
    repo: &'a App,
    files: &[ScannedFile],
    prisma: &PrismaIndex,
) -> Vec<Unit<'a>> {
    let used: Vec<(&App, Vec<usize>)> = apps.iter().map(|a| (a, prisma.projects_for(a))).collect();
    (0..prisma.projects.len())
        .map(|p| {
            let using: Vec<&App> = used
                .iter()
                .filter(|(_, projects)| projects.contains(&p))
                .map(|(a, _)| *a)
                .collect();
            let others: Vec<&str> = used
                .iter()
                .filter(|(a, projects)| !a.root.is_empty() && !projects.contains(&p))
                .map(|(a, _)| a.root.as_str())
                .collect();
            let unit_files: BTreeSet<usize> = (0..files.len())
                .filter(|&i| !files[i].is_test())
                .filter(|&i| !others.iter().any(|root| contains(root, &files[i].rel)))
                .collect();
            let app = using.first().copied().unwrap_or(repo);
            Unit {
                app,
                files: unit_files,
                entry: None,
                anchor: prisma.projects[p].anchor.clone(),
                label: app.name.clone(),
                prisma: Some(p),
            }
        })
        .collect()
}
