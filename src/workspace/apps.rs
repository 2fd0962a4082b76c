//! Application discovery (rule-catalog.md, "Applications"): a folder whose package.json
//! depends on a server framework or a queue worker, or, without a package.json of its own,
//! a folder whose entry file creates a server. Workspace roots that only hold other apps are
//! not apps themselves; frontend-only packages never are.

use super::imports::ImportGraph;
use super::scan::ScannedFile;
use crate::facts::package::{Package, HTTP_FRAMEWORKS, QUEUE_WORKERS, SERVER_FRAMEWORKS};
use crate::facts::EntryKind;
use crate::model::Location;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone)]
pub struct Entry {
    pub file: usize,
    pub line: usize,
    pub http: bool,
}

#[derive(Debug, Clone)]
pub struct App {
    pub name: String,
    /// Folder relative to the audited root ("" for the root itself).
    pub root: String,
    /// Its own package.json (relative path), when it has one.
    pub manifest: Option<String>,
    /// Dependencies of its package.json and every package.json above it: name → (file, line).
    pub deps: BTreeMap<String, (String, usize)>,
    pub files: Vec<usize>,
    pub entries: Vec<Entry>,
    pub http: bool,
    pub worker: bool,
    /// Where a missing app-wide control is reported: the main entry's bootstrap line.
    pub anchor: Location,
}

impl App {
    pub fn has_dependency(&self, name: &str) -> bool {
        self.deps.contains_key(name)
    }

    pub fn kinds(&self) -> Vec<String> {
        let mut k = Vec::new();
        if self.http {
            k.push("http".to_string());
        }
        if self.worker {
            k.push("worker".to_string());
        }
        k
    }
}

fn parent_dir(rel: &str) -> &str {
    rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// Is `path` inside folder `dir` ("" contains everything)?
pub fn contains(dir: &str, path: &str) -> bool {
    dir.is_empty()
        || (path.starts_with(dir) && matches!(path.as_bytes().get(dir.len()), None | Some(b'/')))
}

fn is_app_package(pkg: &Package) -> bool {
    SERVER_FRAMEWORKS
        .iter()
        .chain(QUEUE_WORKERS)
        .any(|d| pkg.has_runtime(d))
}

/// The folder an entry file without a package.json of its own belongs to: the nearest
/// folder with a project.json (Nx), else the folder above `src/`, else its own folder.
fn root_for_entry(rel: &str, project_dirs: &BTreeSet<String>) -> String {
    let mut dir = parent_dir(rel);
    loop {
        if project_dirs.contains(dir) {
            return dir.to_string();
        }
        if dir.is_empty() {
            break;
        }
        dir = parent_dir(dir);
    }
    let parts: Vec<&str> = rel.split('/').collect();
    if let Some(pos) = parts.iter().rposition(|p| *p == "src") {
        return parts[..pos].join("/");
    }
    parent_dir(rel).to_string()
}

fn starts_app(kind: EntryKind) -> bool {
    !matches!(kind, EntryKind::Listen)
}

/// Does a main-like file of the package (`main`, `index`, `server`, `app`, `bootstrap`)
/// import code that starts a server or worker?
fn main_starts_app(file_ids: &[usize], files: &[ScannedFile], graph: &ImportGraph) -> bool {
    file_ids
        .iter()
        .filter(|&&i| {
            let f = &files[i];
            let stem = f
                .rel
                .rsplit('/')
                .next()
                .unwrap_or("")
                .split('.')
                .next()
                .unwrap_or("");
            f.is_source()
                && !f.is_test()
                && matches!(stem, "main" | "index" | "server" | "app" | "bootstrap")
        })
        .any(|&i| {
            graph
                .closure(i)
                .iter()
                .any(|&j| files[j].facts.markers.iter().any(|m| starts_app(m.kind)))
        })
}

fn is_test_folder(dir: &str) -> bool {
    !dir.is_empty() && crate::workspace::scan::is_test_path(&format!("{dir}/x"))
}

pub fn discover(files: &[ScannedFile], graph: &ImportGraph) -> Vec<App> {
    let packages: BTreeMap<String, (&ScannedFile, &Package)> = files
        .iter()
        .filter_map(|f| {
            f.package
                .as_ref()
                .map(|p| (parent_dir(&f.rel).to_string(), (f, p)))
        })
        .collect();
    let project_dirs: BTreeSet<String> = files
        .iter()
        .map(|f| &f.rel)
        .filter(|p| p.ends_with("project.json") && p.rsplit('/').next() == Some("project.json"))
        .map(|p| parent_dir(p).to_string())
        .collect();

    // A package inside a test folder (`integration-tests/`, `packages/x-test-utils/`) is a
    // test harness, not a deployed app.
    let mut roots: BTreeSet<String> = packages
        .iter()
        .filter(|(d, (_, p))| is_app_package(p) && !is_test_folder(d))
        .map(|(d, _)| d.clone())
        .collect();
    for f in files
        .iter()
        .filter(|f| f.is_source() && !f.is_test() && !is_script(&f.rel))
    {
        if f.facts.markers.iter().any(|m| starts_app(m.kind)) {
            // Inside a package folder, the package decides: an app package is the app; a
            // library package (e.g. a `bootstrap()` helper with @nestjs/core as a peer) is
            // shared code, not an app. Outside any package but the root, infer the folder.
            let owner = packages
                .iter()
                .filter(|(d, _)| contains(d, &f.rel))
                .max_by_key(|(d, _)| d.len());
            match owner {
                Some((d, (_, pkg))) if !d.is_empty() => {
                    if is_app_package(pkg) {
                        roots.insert(d.clone());
                    }
                }
                _ => {
                    roots.insert(root_for_entry(&f.rel, &project_dirs));
                }
            }
        }
    }

    // Assign every file to the deepest root containing it.
    let mut members: BTreeMap<String, Vec<usize>> =
        roots.iter().map(|r| (r.clone(), Vec::new())).collect();
    let mut by_root: Vec<(&String, &mut Vec<usize>)> = members.iter_mut().collect();
    for (i, f) in files.iter().enumerate() {
        let deepest = by_root
            .iter_mut()
            .filter(|(r, _)| contains(r, &f.rel))
            .max_by_key(|(r, _)| r.len());
        if let Some((_, ids)) = deepest {
            ids.push(i);
        }
    }

    let mut apps = Vec::new();
    for (root, file_ids) in members {
        let has_markers = file_ids.iter().any(|&i| {
            !files[i].is_test()
                && !is_script(&files[i].rel)
                && files[i].facts.markers.iter().any(|m| starts_app(m.kind))
        });
        let has_nested = roots.iter().any(|r| r != &root && contains(&root, r));
        let own_pkg = packages.get(&root);
        // A workspace root holding other apps, with no server of its own, is not an app.
        if has_nested && !has_markers {
            continue;
        }
        if own_pkg.is_none() && !has_markers {
            continue;
        }
        // A workspace package that depends on a framework but starts nothing itself, and whose
        // main file does not import code that does (a `bootstrap()` helper), is a library.
        if !root.is_empty() && !has_markers && !main_starts_app(&file_ids, files, graph) {
            continue;
        }
        let mut deps = BTreeMap::new();
        for (dir, (file, pkg)) in packages.iter().filter(|(d, _)| contains(d, &root)) {
            let _ = dir;
            for (name, line) in pkg.runtime.iter().chain(pkg.dev.iter()) {
                deps.entry(name.clone())
                    .or_insert((file.rel.clone(), *line));
            }
        }
        let entries = find_entries(files, &file_ids, graph);
        // A root package.json that lists Nest for other apps does not make an Express app
        // Nest: when this app's entries start no Nest application, an inherited @nestjs/core
        // is not its framework.
        let starts_nest = entries.iter().any(|e| {
            files[e.file]
                .facts
                .markers
                .iter()
                .any(|m| matches!(m.kind, EntryKind::NestHttp | EntryKind::NestContext))
        });
        if !entries.is_empty() && !starts_nest {
            let own = own_pkg.map(|(f, _)| f.rel.as_str());
            if deps
                .get("@nestjs/core")
                .is_some_and(|(file, _)| Some(file.as_str()) != own)
            {
                deps.remove("@nestjs/core");
            }
        }
        let http = if entries.is_empty() {
            HTTP_FRAMEWORKS.iter().any(|d| deps.contains_key(*d))
        } else {
            entries.iter().any(|e| e.http)
        };
        let worker = QUEUE_WORKERS.iter().any(|d| deps.contains_key(*d))
            || entries.iter().any(|e| {
                files[e.file]
                    .facts
                    .markers
                    .iter()
                    .any(|m| matches!(m.kind, EntryKind::Worker | EntryKind::NestContext))
            });
        let manifest = own_pkg.map(|(f, _)| f.rel.clone());
        let anchor = match primary_entry(files, &entries) {
            Some(e) => creation_site(files, e, graph),
            None => Location {
                path: manifest.clone().unwrap_or_else(|| format!("{root}/")),
                line: 1,
                column: 1,
            },
        };
        let name = if root.is_empty() {
            own_pkg
                .and_then(|(_, p)| p.name.clone())
                .unwrap_or_else(|| ".".to_string())
        } else {
            root.clone()
        };
        apps.push(App {
            name,
            root,
            manifest,
            deps,
            files: file_ids,
            entries,
            http,
            worker,
            anchor,
        });
    }
    apps
}

/// Entry points: files that start a server or worker and that no other file of the app imports.
fn find_entries(files: &[ScannedFile], ids: &[usize], graph: &ImportGraph) -> Vec<Entry> {
    let candidates: Vec<usize> = ids
        .iter()
        .copied()
        .filter(|&i| {
            !files[i].is_test() && !is_script(&files[i].rel) && !files[i].facts.markers.is_empty()
        })
        .collect();
    let imported: BTreeSet<usize> = ids
        .iter()
        .filter(|&&i| !files[i].is_test())
        .flat_map(|&i| graph.edges[i].iter().copied())
        .collect();
    let mut roots: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|i| !imported.contains(i))
        .collect();
    if roots.is_empty() {
        roots = candidates;
    }
    roots
        .into_iter()
        .filter_map(|i| {
            let markers = &files[i].facts.markers;
            // A file that only calls `.listen(` on something it did not create or import is
            // not a server entry (e.g. `emitter.listen(`), unless it imports a creator.
            let creates = markers.iter().any(|m| starts_app(m.kind));
            let imports_creator = graph.closure(i).iter().any(|&j| {
                j != i
                    && files[j]
                        .facts
                        .markers
                        .iter()
                        .any(|m| matches!(m.kind, EntryKind::Http | EntryKind::NestHttp))
            });
            if !creates && !imports_creator {
                return None;
            }
            let first = markers
                .iter()
                .min_by_key(|m| (m.kind, m.line))
                .map(|m| m.line)
                .unwrap_or(1);
            let http = markers.iter().any(|m| {
                matches!(
                    m.kind,
                    EntryKind::NestHttp | EntryKind::Http | EntryKind::Listen
                )
            });
            Some(Entry {
                file: i,
                line: first,
                http,
            })
        })
        .collect()
}

/// Where the server is created: the entry itself, or for an entry that only calls
/// `.listen(`, the file it imports that creates the app (where helmet etc. belong).
fn creation_site(files: &[ScannedFile], entry: &Entry, graph: &ImportGraph) -> Location {
    let creates = |i: usize| {
        files[i]
            .facts
            .markers
            .iter()
            .filter(|m| starts_app(m.kind))
            .min_by_key(|m| (m.kind, m.line))
            .map(|m| m.line)
    };
    let site = creates(entry.file)
        .map(|line| (entry.file, line))
        .or_else(|| {
            graph
                .closure(entry.file)
                .into_iter()
                .find_map(|i| creates(i).map(|line| (i, line)))
        });
    let (file, line) = site.unwrap_or((entry.file, entry.line));
    Location {
        path: files[file].rel.clone(),
        line,
        column: 1,
    }
}

/// Seeds, migrations and one-off scripts boot the framework too, but are not services.
pub fn is_script(rel: &str) -> bool {
    let mut parts = rel.split('/').rev();
    let name = parts.next().unwrap_or("");
    name.starts_with("seed")
        || name.starts_with("run-seed")
        || parts.any(|d| {
            matches!(
                d,
                "seed"
                    | "seeds"
                    | "seeders"
                    | "scripts"
                    | "migrations"
                    | "migration"
                    | "tools"
                    | "bin"
            )
        })
}

fn primary_entry<'a>(files: &[ScannedFile], entries: &'a [Entry]) -> Option<&'a Entry> {
    entries.iter().min_by_key(|e| {
        let f = &files[e.file];
        let nest = f
            .facts
            .markers
            .iter()
            .any(|m| m.kind == EntryKind::NestHttp);
        let name = f.rel.rsplit('/').next().unwrap_or("");
        let conventional = matches!(
            name,
            "main.ts"
                | "main.js"
                | "server.ts"
                | "server.js"
                | "index.ts"
                | "index.js"
                | "app.ts"
                | "app.js"
        );
        (!e.http, !nest, !conventional, f.rel.len(), f.rel.clone())
    })
}
