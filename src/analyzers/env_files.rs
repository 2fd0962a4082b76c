//! Env files: SEC-ENV-COMMITTED (a real env file tracked in git, or `.env` not ignored) and
//! CFG-ENV-EXAMPLE (variables the code reads that the example file does not list).
//!
//! "Tracked" comes from the git index through the `git` binary (`git ls-files`): it is on
//! every machine that has a clone, reads the index exactly as git does (split index,
//! sparse checkout, any index version) and adds no dependency. Without git, or outside a
//! repository, what can be known is reported instead: the file is present and no
//! .gitignore ignores it.

use super::Site;
use crate::facts::secrets;
use crate::model::{Confidence, Location};
use crate::workspace::apps::{contains, App};
use crate::workspace::scan::{is_test_path, ScannedFile};
use ignore::gitignore::GitignoreBuilder;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

/// Variables every platform sets: not the app's configuration.
const PLATFORM_VARS: &[&str] = &[
    "NODE_ENV",
    "CI",
    "HOME",
    "PATH",
    "PWD",
    "USER",
    "HOSTNAME",
    "TZ",
    "LANG",
    "SHELL",
    "TMPDIR",
    "npm_package_version",
    "npm_package_name",
    "npm_lifecycle_event",
    "VERCEL",
    "VERCEL_ENV",
    "VERCEL_URL",
    "NEXT_RUNTIME",
    "NEXT_PHASE",
    "JEST_WORKER_ID",
    "DEBUG",
];

/// Prefixes of variables set by package managers, build tools and hosts.
const PLATFORM_PREFIXES: &[&str] = &[
    "npm_", "NX_", "VERCEL_", "JEST_", "VITEST", "RAILWAY_", "RENDER_",
];

/// Example files looked for on disk too, in the app folder and above: a .gitignore rule such
/// as `.env.*` hides them from the walk although they are committed.
const EXAMPLE_NAMES: &[&str] = &[
    ".env.example",
    ".env.sample",
    ".env.template",
    ".env.dist",
    "example.env",
    ".example.env",
    "env.example",
    ".env.local.example",
    ".env.development.example",
];

/// What git says about the audited tree.
pub enum Git {
    /// Paths (relative to the audited root) of the files in the index.
    Tracked(BTreeSet<String>),
    /// Why the index could not be read.
    Unavailable(String),
}

pub struct EnvIndex {
    root: PathBuf,
    /// Folders of the applications (relative), whose `.env` must be ignored.
    app_roots: Vec<String>,
    git: OnceLock<Git>,
    /// The index read started before the walk (see `start_git_read`), not yet joined.
    pending: Mutex<Option<JoinHandle<Git>>>,
    /// The few paths whose file name mentions env, and the `.gitignore` files: found in one
    /// scan of the path list, not one per application and rule.
    named: OnceLock<Named>,
}

#[derive(Default)]
struct Named {
    env: Vec<String>,
    gitignores: Vec<String>,
}

/// Starts reading the git index on its own thread, so that `git ls-files` runs while the
/// tree is walked rather than after.
pub fn start_git_read(root: &Path) -> JoinHandle<Git> {
    let root = root.to_path_buf();
    std::thread::spawn(move || read_index(&root))
}

impl EnvIndex {
    pub fn new(root: &Path, apps: &[App], pending: Option<JoinHandle<Git>>) -> EnvIndex {
        let mut app_roots: Vec<String> = apps.iter().map(|a| a.root.clone()).collect();
        app_roots.push(String::new());
        app_roots.sort();
        app_roots.dedup();
        EnvIndex {
            root: root.to_path_buf(),
            app_roots,
            git: OnceLock::new(),
            pending: Mutex::new(pending),
            named: OnceLock::new(),
        }
    }

    fn named<'a>(&self, paths: impl Iterator<Item = &'a String>) -> &Named {
        self.named.get_or_init(|| {
            let mut named = Named::default();
            for p in paths {
                let name = file_name(p);
                if name == ".gitignore" {
                    named.gitignores.push(p.clone());
                } else if mentions_env(name) {
                    named.env.push(p.clone());
                }
            }
            named
        })
    }

    fn git(&self) -> &Git {
        self.git.get_or_init(|| {
            let started = self.pending.lock().ok().and_then(|mut p| p.take());
            started
                .and_then(|handle| handle.join().ok())
                .unwrap_or_else(|| read_index(&self.root))
        })
    }

    /// SEC-ENV-COMMITTED.
    pub fn committed(&self, all_paths: &[String]) -> Vec<Site> {
        // In git, what the index holds; outside it, what is present and not ignored.
        let (candidates, confidence): (Vec<&String>, _) = match self.git() {
            Git::Tracked(tracked) => (tracked.iter().collect(), Confidence::High),
            Git::Unavailable(_) => (
                self.named(all_paths.iter()).env.iter().collect(),
                Confidence::Medium,
            ),
        };
        let mut sites = Vec::new();
        for path in candidates.into_iter().filter(|p| is_real_env_file(p)) {
            let Some(reason) = self.worth_reporting(path) else {
                continue;
            };
            let message = match self.git() {
                Git::Tracked(_) => format!("`{path}` is tracked in git ({reason}): remove it with `git rm --cached {path}`, ignore it, and rotate what it held"),
                Git::Unavailable(why) => format!("`{path}` is present ({reason}) and no .gitignore ignores it; {why}, so whether it is tracked cannot be told"),
            };
            sites.push(site(path, 1, message, confidence));
        }
        for dir in &self.app_roots {
            if !self.env_ignored(dir, all_paths) {
                let gitignore = join(dir, ".gitignore");
                let (path, what) = if all_paths.binary_search(&gitignore).is_ok() {
                    (gitignore.clone(), format!("`{gitignore}` does not ignore"))
                } else if dir.is_empty() && matches!(self.git(), Git::Tracked(_)) {
                    (
                        ".".to_string(),
                        "there is no .gitignore to ignore".to_string(),
                    )
                } else {
                    // An app folder without its own .gitignore: the root's decides. Outside git
                    // a missing .gitignore is no mistake (a tarball, a deploy artifact).
                    continue;
                };
                let env = join(dir, ".env");
                sites.push(site(
                    &path,
                    1,
                    format!("{what} `{env}`: add `.env` and `.env.*` (with `!.env.example`) so a real env file cannot be committed by accident"),
                    Confidence::High,
                ));
            }
        }
        sites
    }

    /// Why a tracked env file matters: always for `.env`, `.env.local`, production and
    /// staging files; for development / test / CI files only when they hold a secret.
    fn worth_reporting(&self, path: &str) -> Option<String> {
        let name = file_name(path).to_ascii_lowercase();
        let always = name == ".env"
            || name.ends_with(".local")
            || ["prod", "production", "staging", "stage", "live"]
                .iter()
                .any(|w| name.split(['.', '-', '_']).any(|part| part == *w));
        let text = read_small(&self.root.join(path)).unwrap_or_default();
        let variables = env_keys(&text).len();
        let holds_secret = !secrets::scan(path, &text).is_empty();
        if holds_secret {
            Some(format!("{variables} variables, including a secret value"))
        } else if always {
            Some(format!("{variables} variables"))
        } else {
            None
        }
    }

    /// Is `<dir>/.env` ignored by the .gitignore files from the repository root down to `dir`?
    fn env_ignored(&self, dir: &str, all_paths: &[String]) -> bool {
        let mut gitignores: Vec<&String> = self
            .named(all_paths.iter())
            .gitignores
            .iter()
            .filter(|p| {
                let parent = parent(p);
                contains(parent, dir) || parent.is_empty()
            })
            .collect();
        gitignores.sort_by_key(|p| p.len());
        let target = self.root.join(join(dir, ".env"));
        let mut ignored = false;
        for g in gitignores {
            let base = self.root.join(parent(g));
            let mut builder = GitignoreBuilder::new(&base);
            if builder.add(self.root.join(g)).is_some() {
                continue;
            }
            let Ok(matcher) = builder.build() else {
                continue;
            };
            let m = matcher.matched_path_or_any_parents(&target, false);
            if m.is_ignore() {
                ignored = true;
            } else if m.is_whitelist() {
                ignored = false;
            }
        }
        ignored
    }

    /// CFG-ENV-EXAMPLE for one application.
    pub fn example(
        &self,
        app: &App,
        anchor: &Location,
        files: &[ScannedFile],
        unit_files: &BTreeSet<usize>,
        ignore_vars: &[String],
    ) -> Vec<Site> {
        let mut read: BTreeMap<&str, &str> = BTreeMap::new(); // var → first file reading it
        for &i in unit_files {
            for v in &files[i].facts.env_vars {
                read.entry(v.as_str()).or_insert(files[i].rel.as_str());
            }
        }
        read.retain(|v, _| {
            !PLATFORM_VARS.contains(v)
                && !PLATFORM_PREFIXES.iter().any(|p| v.starts_with(p))
                && !ignore_vars.iter().any(|i| i == v)
        });
        if read.is_empty() {
            return Vec::new();
        }
        let mut examples: Vec<String> = self
            .named(files.iter().map(|f| &f.rel))
            .env
            .iter()
            .filter(|p| is_example_env_file(p) && contains(parent(p), &app.root))
            .cloned()
            .collect();
        let mut dir = app.root.as_str();
        loop {
            for name in EXAMPLE_NAMES {
                let rel = join(dir, name);
                if !examples.contains(&rel) && self.root.join(&rel).is_file() {
                    examples.push(rel);
                }
            }
            if dir.is_empty() {
                break;
            }
            dir = parent(dir);
        }
        examples.sort_by_key(|p| std::cmp::Reverse(p.len())); // the app's own first
        let all: Vec<&str> = read.keys().copied().collect();
        let Some(first) = examples.first() else {
            return vec![site(
                &anchor.path,
                anchor.line,
                format!(
                    "no .env.example: the code reads {} ({}); commit an example file that lists them",
                    count(all.len(), "variable"),
                    list(&all)
                ),
                Confidence::High,
            )];
        };
        let listed: BTreeSet<String> = examples
            .iter()
            .flat_map(|p| env_keys(&read_small(&self.root.join(p)).unwrap_or_default()))
            .collect();
        let missing: Vec<&str> = all
            .iter()
            .copied()
            .filter(|v| !listed.contains(*v))
            .collect();
        if missing.is_empty() {
            return Vec::new();
        }
        vec![site(
            first,
            1,
            format!(
                "{} read in code {} missing from `{first}`: {} (e.g. `{}` in {})",
                count(missing.len(), "variable"),
                if missing.len() == 1 { "is" } else { "are" },
                list(&missing),
                missing[0],
                read[missing[0]]
            ),
            Confidence::High,
        )]
    }
}

/// The index through `git ls-files`, relative to the audited root.
fn read_index(root: &Path) -> Git {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "-z", "--cached"])
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output();
    match output {
        Err(_) => Git::Unavailable("git is not installed".into()),
        Ok(out) if !out.status.success() => Git::Unavailable("this is not a git repository".into()),
        Ok(out) => Git::Tracked(
            out.stdout
                .split(|b| *b == 0)
                .filter(|p| !p.is_empty())
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect(),
        ),
    }
}

/// `.env`, `.env.production`, `prod.env`: not an example, sample or template.
fn is_real_env_file(path: &str) -> bool {
    if !mentions_env(file_name(path)) {
        return false;
    }
    let name = file_name(path).to_ascii_lowercase();
    // Test and CI env files hold test values by design.
    let test_env = name
        .split(['.', '-', '_'])
        .any(|w| matches!(w, "test" | "testing" | "e2e" | "ci" | "spec"));
    secrets::is_env_file(&name)
        && !is_template(&name)
        && !test_env
        && !is_test_path(path)
        && !path
            .split('/')
            .any(|d| d == "fixtures" || d == "__fixtures__")
}

fn is_template(name: &str) -> bool {
    [
        "example", "sample", "template", "dist", "defaults", "schema", "tmpl", "tpl",
    ]
    .iter()
    .any(|w| name.split(['.', '-', '_']).any(|part| part == *w))
}

/// `.env.example`, `.env.sample`, `.env.template`, `example.env`, `.env.local.example`,
/// `env-example-relational`, `.example.env`: a name with the word env and a template word.
pub fn is_example_env_file(path: &str) -> bool {
    if !mentions_env(file_name(path)) {
        return false;
    }
    let name = file_name(path).to_ascii_lowercase();
    name.split(['.', '-', '_']).any(|w| w == "env") && is_template(&name)
}

/// The variable names an env file sets (`KEY=`, `export KEY=`, and commented `# KEY=`).
fn env_keys(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let l = line.trim_start().trim_start_matches('#').trim_start();
            let l = l.strip_prefix("export ").unwrap_or(l).trim_start();
            let (key, _) = l.split_once('=')?;
            let key = key.trim_end();
            let valid = !key.is_empty()
                && key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            valid.then(|| key.to_string())
        })
        .collect()
}

fn read_small(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(1024 * 1024)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

fn site(path: &str, line: usize, message: String, confidence: Confidence) -> Site {
    Site {
        location: Location {
            path: path.to_string(),
            line,
            column: 1,
        },
        snippet: String::new(),
        message,
        confidence,
    }
}

/// A cheap first test, without allocating, for the name checks above (called per file).
fn mentions_env(name: &str) -> bool {
    name.as_bytes()
        .windows(3)
        .any(|w| w.eq_ignore_ascii_case(b"env"))
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map(|(p, _)| p).unwrap_or("")
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// Up to 15 names, then how many more.
fn list(names: &[&str]) -> String {
    let mut text = names
        .iter()
        .take(15)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 15 {
        text.push_str(&format!(" and {} more", names.len() - 15));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_file_names() {
        assert!(is_real_env_file(".env"));
        assert!(is_real_env_file("apps/api/.env.production"));
        assert!(!is_real_env_file(".env.example"));
        assert!(!is_real_env_file("apps/api/.env.sample"));
        assert!(is_example_env_file("apps/api/.env.example"));
        assert!(is_example_env_file("example.env"));
        assert!(!is_example_env_file(".env"));
    }

    #[test]
    fn reads_keys_including_commented_ones() {
        let keys = env_keys("# comment\nDATABASE_URL=\nexport JWT_SECRET=x\n# SENTRY_DSN=\n");
        assert_eq!(keys, vec!["DATABASE_URL", "JWT_SECRET", "SENTRY_DSN"]);
    }
}
