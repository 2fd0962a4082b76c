//! One walk of the audited tree with the `ignore` crate: gitignore-aware even outside a git
//! repository, dot-files included (.env, .github), vendored and generated folders skipped,
//! symlinks never followed out of the root.

use crate::model::Note;
use globset::GlobSet;
use ignore::{WalkBuilder, WalkState};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Folders that hold dependencies, build output or VCS data: never audited.
const SKIP_DIRS: &[&str] = &[
    ".git",
    "node_modules",
    "dist",
    "build",
    "coverage",
    ".next",
    ".nuxt",
    ".turbo",
    ".cache",
    ".yarn",
    ".pnpm-store",
    "bower_components",
    "vendor",
    ".nx",
];

#[derive(Debug, Clone)]
pub struct WalkedFile {
    pub abs: PathBuf,
    /// Relative to the audited root, `/`-separated.
    pub rel: String,
}

pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let text = rel.to_string_lossy();
    let text = text.strip_prefix("./").unwrap_or(&text);
    if std::path::MAIN_SEPARATOR == '/' {
        text.to_string()
    } else {
        text.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// Walks the tree in parallel and runs `visit` on each file, on the walker's own threads,
/// so reading and scanning overlap the directory walk. Results come back sorted by path,
/// boxed (a scan result is large: the list is grown and sorted without moving them).
pub fn walk<T: Send>(
    root: &Path,
    ignores: &GlobSet,
    visit: &(dyn Fn(&WalkedFile) -> T + Sync),
) -> (Vec<(WalkedFile, Box<T>)>, Vec<Note>) {
    let files = Mutex::new(Vec::new());
    let notes = Mutex::new(Vec::new());
    let walker = WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            !(is_dir
                && entry.depth() > 0
                && SKIP_DIRS.contains(&entry.file_name().to_string_lossy().as_ref()))
        })
        .build_parallel();
    walker.run(|| {
        Box::new(|result| {
            match result {
                Ok(entry) => {
                    if entry.file_type().is_some_and(|t| t.is_file()) {
                        let rel = relative(root, entry.path());
                        if !ignores.is_match(&rel) {
                            let file = WalkedFile {
                                abs: entry.path().to_path_buf(),
                                rel,
                            };
                            // Boxed: a scan result is large, and the list is grown and sorted.
                            let value = Box::new(visit(&file));
                            if let Ok(mut f) = files.lock() {
                                f.push((file, value));
                            }
                        }
                    }
                }
                Err(err) => {
                    if let Ok(mut n) = notes.lock() {
                        n.push(walk_note(root, &err));
                    }
                }
            }
            WalkState::Continue
        })
    });
    let mut files: Vec<(WalkedFile, Box<T>)> = files.into_inner().unwrap_or_default();
    files.sort_unstable_by(|a, b| a.0.rel.cmp(&b.0.rel));

    let mut notes = notes.into_inner().unwrap_or_default();
    notes.sort();
    notes.dedup();
    (files, notes)
}

fn walk_note(root: &Path, err: &ignore::Error) -> Note {
    let path = match err {
        ignore::Error::WithPath { path, .. } => relative(root, path),
        ignore::Error::WithDepth { err, .. } => return walk_note(root, err),
        ignore::Error::Loop { child, .. } => relative(root, child),
        _ => String::new(),
    };
    Note {
        path,
        message: format!("skipped: {}", first_line(&err.to_string())),
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).to_string()
}
