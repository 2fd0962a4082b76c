//! Resolving relative import specifiers to files of the audited tree.

use std::collections::{BTreeSet, HashMap};

const EXTENSIONS: &[&str] = &["ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs"];

/// Joins `spec` onto the folder of `from` and normalises `.` and `..`.
fn join(from: &str, spec: &str) -> Option<String> {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in spec.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// The file a relative import names, trying the extensions and index files Node and
/// TypeScript try (including `./x.js` written for `./x.ts` in ESM TypeScript).
pub fn resolve(from: &str, spec: &str, exists: &dyn Fn(&str) -> bool) -> Option<String> {
    let base = join(from, spec)?;
    if exists(&base)
        && base.contains('.')
        && EXTENSIONS.iter().any(|e| base.ends_with(&format!(".{e}")))
    {
        return Some(base);
    }
    let stem = EXTENSIONS
        .iter()
        .find_map(|e| base.strip_suffix(&format!(".{e}")))
        .unwrap_or(&base);
    for ext in EXTENSIONS {
        let candidate = format!("{stem}.{ext}");
        if exists(&candidate) {
            return Some(candidate);
        }
    }
    for ext in EXTENSIONS {
        let candidate = format!("{base}/index.{ext}");
        if exists(&candidate) {
            return Some(candidate);
        }
    }
    None
}

/// Relative-import edges between the files of the tree, by file index.
pub struct ImportGraph {
    pub edges: Vec<Vec<usize>>,
}

impl ImportGraph {
    pub fn build(paths: &[&str], imports: &[&[String]]) -> ImportGraph {
        let index: HashMap<&str, usize> = paths.iter().enumerate().map(|(i, p)| (*p, i)).collect();
        let exists = |p: &str| index.contains_key(p);
        let edges = paths
            .iter()
            .zip(imports)
            .map(|(from, specs)| {
                let mut out: Vec<usize> = specs
                    .iter()
                    .filter_map(|s| resolve(from, s, &exists))
                    .filter_map(|p| index.get(p.as_str()).copied())
                    .collect();
                out.sort_unstable();
                out.dedup();
                out
            })
            .collect();
        ImportGraph { edges }
    }

    /// Every file reachable from `start` through relative imports, `start` included.
    pub fn closure(&self, start: usize) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![start];
        while let Some(f) = stack.pop() {
            if seen.insert(f) {
                if let Some(next) = self.edges.get(f) {
                    stack.extend(next.iter().copied());
                }
            }
        }
        seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_extensions_index_and_esm_js() {
        let files = [
            "src/main.ts",
            "src/config/index.ts",
            "src/shutdown.ts",
            "lib/a.js",
        ];
        let exists = |p: &str| files.contains(&p);
        assert_eq!(
            resolve("src/main.ts", "./config", &exists).as_deref(),
            Some("src/config/index.ts")
        );
        assert_eq!(
            resolve("src/main.ts", "./shutdown.js", &exists).as_deref(),
            Some("src/shutdown.ts")
        );
        assert_eq!(
            resolve("src/main.ts", "../lib/a", &exists).as_deref(),
            Some("lib/a.js")
        );
        assert_eq!(resolve("src/main.ts", "../../outside", &exists), None);
    }
}
