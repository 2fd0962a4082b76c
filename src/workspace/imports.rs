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

/// Where a path-alias specifier may point, nearest first: `@/lib/x` and `~/lib/x` (an alias
/// for the project folder or its `src/`) and `src/x` (under `baseUrl`) from each folder
/// above the importing file. Reading every tsconfig's `paths` would be exact; the nearest
/// folder holding the path is what those settings say in nearly every project.
fn alias_candidates<'s>(from: &'s str, spec: &'s str) -> impl Iterator<Item = String> + 's {
    let (rest, under_src) = match spec.strip_prefix("@/").or_else(|| spec.strip_prefix("~/")) {
        Some(rest) => (rest, true),
        None => (spec, false),
    };
    let mut dirs: Vec<&str> = from.match_indices('/').map(|(i, _)| &from[..i]).collect();
    dirs.reverse();
    dirs.push("");
    dirs.into_iter().flat_map(move |dir| {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let src = under_src.then(|| format!("{prefix}src/{rest}"));
        std::iter::once(format!("{prefix}{rest}")).chain(src)
    })
}

/// Import edges (relative and path-alias) between the files of the tree, by file index.
pub struct ImportGraph {
    pub edges: Vec<Vec<usize>>,
}

impl ImportGraph {
    pub fn build(paths: &[&str], imports: &[&[String]]) -> ImportGraph {
        use rayon::prelude::*;
        // "src/config" → src/config.ts or src/config/index.ts, by extension preference: one
        // lookup per import instead of sixteen probes.
        let mut targets: HashMap<&str, (usize, usize)> = HashMap::new();
        for (i, p) in paths.iter().enumerate() {
            for (rank, ext) in EXTENSIONS.iter().enumerate() {
                let Some(stem) = p.strip_suffix(ext).and_then(|s| s.strip_suffix('.')) else {
                    continue;
                };
                let (key, rank) = match stem.strip_suffix("/index") {
                    Some(dir) => (dir, rank + EXTENSIONS.len()),
                    None => (stem, rank),
                };
                let entry = targets.entry(key).or_insert((i, rank));
                if rank < entry.1 {
                    *entry = (i, rank);
                }
                if key != stem {
                    let entry = targets.entry(stem).or_insert((i, rank));
                    if rank < entry.1 {
                        *entry = (i, rank);
                    }
                }
            }
        }
        let edges = paths
            .par_iter()
            .zip(imports.par_iter())
            .map(|(from, specs)| {
                let mut out: Vec<usize> = specs
                    .iter()
                    .filter_map(|spec| {
                        let lookup = |base: &str| {
                            let stem = EXTENSIONS
                                .iter()
                                .find_map(|e| {
                                    base.strip_suffix(e).and_then(|s| s.strip_suffix('.'))
                                })
                                .unwrap_or(base);
                            targets.get(stem).or_else(|| targets.get(base)).map(|t| t.0)
                        };
                        if spec.starts_with('.') {
                            return lookup(&join(from, spec)?);
                        }
                        alias_candidates(from, spec).find_map(|base| lookup(&base))
                    })
                    .collect();
                out.sort_unstable();
                out.dedup();
                out
            })
            .collect();
        ImportGraph { edges }
    }

    /// Every file reachable from `start` through its imports, `start` included.
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
    fn graph_resolves_like_resolve() {
        let paths = [
            "src/main.ts",
            "src/config/index.ts",
            "src/shutdown.ts",
            "src/shutdown.js",
            "lib/a.js",
        ];
        let specs: Vec<Vec<String>> = vec![
            vec![
                "./config".into(),
                "./shutdown.js".into(),
                "../lib/a".into(),
                "./missing".into(),
            ],
            vec![],
            vec![],
            vec![],
            vec![],
        ];
        let imports: Vec<&[String]> = specs.iter().map(Vec::as_slice).collect();
        let graph = ImportGraph::build(&paths, &imports);
        assert_eq!(graph.edges[0], vec![1, 2, 4]);
    }

    #[test]
    fn graph_resolves_path_aliases_to_the_nearest_project() {
        let paths = [
            "apps/web/app/api/route.ts",
            "apps/web/lib/prisma.ts",
            "apps/api/src/main.ts",
            "apps/api/src/users/users.service.ts",
            "lib/prisma.ts",
        ];
        let specs: Vec<Vec<String>> = vec![
            vec!["@/lib/prisma".into()],
            vec![],
            vec![
                "src/users/users.service".into(),
                "~/users/users.service".into(),
            ],
            vec![],
            vec![],
        ];
        let imports: Vec<&[String]> = specs.iter().map(Vec::as_slice).collect();
        let graph = ImportGraph::build(&paths, &imports);
        assert_eq!(graph.edges[0], vec![1]);
        assert_eq!(graph.edges[2], vec![3]);
    }

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
