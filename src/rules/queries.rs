//! Tree-sitter queries: compiled per run for just the patterns some file needs.
//!
//! Compiling costs 4–25 ms per pattern (tree-sitter analyses each against the grammar),
//! far more than running it on the few files that can match: in a large repository only a
//! handful of files contain a rule's literals. So as the walk finds a file whose prefilter
//! hits ask for patterns not compiled yet, `batch` compiles exactly those, merged into one
//! query (merging halves the cost), on the pool while the walk goes on. User rules are compiled
//! eagerly at load, so a broken query is an error (file:line:col, exit 2) before anything is
//! audited; built-in rules are compiled by the test suite (`builtin_queries_compile`).

use super::{Pattern, PatternKind, RuleError};
use tree_sitter::{Language, Query, QueryErrorKind};

/// The grammars prodready parses with. JavaScript files use the TSX grammar (a superset of
/// JS with JSX), so one set of node names serves every rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    TypeScript,
    Tsx,
}

impl Lang {
    pub fn for_extension(ext: &str) -> Option<Lang> {
        match ext {
            "ts" | "mts" | "cts" => Some(Lang::TypeScript),
            "tsx" | "js" | "jsx" | "mjs" | "cjs" => Some(Lang::Tsx),
            _ => None,
        }
    }

    pub fn language(self) -> Language {
        match self {
            Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
        }
    }
}

pub struct CompiledQuery {
    pub query: Query,
    /// Capture index of `@hit` (the node to report), if the pattern names one.
    pub hit_capture: Option<u32>,
}

/// One query pattern's source (shared by identical patterns).
struct QuerySource {
    source: String,
}

pub struct Queries {
    slots: Vec<QuerySource>,
    /// Pattern id → slot; `None` for regex patterns.
    by_pattern: Vec<Option<usize>>,
}

impl Queries {
    /// Prepares every query pattern; those of user rules (`eager`) are compiled now.
    pub fn new(patterns: &[Pattern]) -> Result<Queries, RuleError> {
        // Identical sources (a pattern repeated in two forbid entries) share one compile.
        let mut slots: Vec<QuerySource> = Vec::new();
        let mut slot_of: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        let by_pattern = patterns
            .iter()
            .map(|p| match &p.kind {
                PatternKind::Query { source } => {
                    Some(*slot_of.entry(source.as_str()).or_insert_with(|| {
                        slots.push(QuerySource {
                            source: source.clone(),
                        });
                        slots.len() - 1
                    }))
                }
                PatternKind::Regex(_) => None,
            })
            .collect();
        let queries = Queries { slots, by_pattern };
        for (id, p) in patterns.iter().enumerate() {
            if matches!(p.kind, PatternKind::Query { .. }) && !p.builtin {
                for lang in [Lang::TypeScript, Lang::Tsx] {
                    queries.check(id, lang, p)?;
                }
            }
        }
        Ok(queries)
    }

    /// Compiles a pattern for a grammar to check it, turning a failure into a located rule error.
    pub fn check(&self, id: usize, lang: Lang, pattern: &Pattern) -> Result<(), RuleError> {
        let Some(lazy) = self.slot(id) else {
            return Ok(());
        };
        match Query::new(&lang.language(), &lazy.source) {
            Ok(_) => Ok(()),
            Err(e) => {
                let what = match e.kind {
                    QueryErrorKind::NodeType => "unknown node type",
                    QueryErrorKind::Field => "unknown field",
                    QueryErrorKind::Capture => "unknown capture",
                    QueryErrorKind::Predicate => "bad predicate",
                    QueryErrorKind::Structure => "impossible pattern",
                    QueryErrorKind::Syntax => "query syntax error",
                    QueryErrorKind::Language => "language error",
                };
                let (file, line, col) = &pattern.origin;
                Err(RuleError {
                    file: file.clone(),
                    line: line + e.row,
                    column: if e.row == 0 { *col } else { e.column + 1 },
                    rule: pattern.rule.clone(),
                    message: format!(
                        "tree-sitter query does not compile: {what}: {}",
                        e.message.trim()
                    ),
                })
            }
        }
    }

    fn slot(&self, id: usize) -> Option<&QuerySource> {
        self.by_pattern
            .get(id)
            .copied()
            .flatten()
            .map(|s| &self.slots[s])
    }
}

/// The merged queries of one run and grammar: each chunk with, per pattern index, the
/// pattern ids it stands for (two rules may share a pattern's text: it is compiled once).
pub struct Batch {
    pub chunks: Vec<(CompiledQuery, Vec<Vec<usize>>)>,
}

impl Queries {
    /// Compiles the given patterns (ids into the rule set) merged, in up to `parts`
    /// chunks compiled in parallel (merging costs less in all; splitting finishes sooner
    /// on idle cores).
    pub fn batch(&self, ids: &[usize], lang: Lang, parts: usize) -> Batch {
        use rayon::prelude::*;
        // Compiling costs milliseconds per pattern: identical texts are compiled once.
        let mut sources: Vec<(Vec<usize>, &str)> = Vec::new();
        for &id in ids {
            let Some(slot) = self.slot(id) else { continue };
            match sources.iter_mut().find(|(_, s)| *s == slot.source) {
                Some((group, _)) => group.push(id),
                None => sources.push((vec![id], slot.source.as_str())),
            }
        }
        let threads = parts.max(1);
        let total: usize = sources.iter().map(|(_, s)| s.len()).sum();
        let target = total / threads + 1;
        let mut chunks: Vec<Vec<(Vec<usize>, &str)>> = vec![Vec::new()];
        let mut size = 0;
        for item in sources {
            if size >= target {
                chunks.push(Vec::new());
                size = 0;
            }
            size += item.1.len();
            if let Some(last) = chunks.last_mut() {
                last.push(item);
            }
        }
        let compiled = chunks
            .par_iter()
            .filter(|c| !c.is_empty())
            .flat_map_iter(|chunk| compile_chunk(chunk, lang))
            .collect();
        Batch { chunks: compiled }
    }
}

/// One merged query for a chunk; if it does not compile (a broken built-in), each pattern
/// alone, so one bad pattern cannot silence the others.
fn compile_chunk(
    chunk: &[(Vec<usize>, &str)],
    lang: Lang,
) -> Vec<(CompiledQuery, Vec<Vec<usize>>)> {
    let mut source = String::new();
    let mut starts = Vec::new();
    for (ids, s) in chunk {
        starts.push((source.len(), ids));
        source.push_str(s);
        source.push('\n');
    }
    match Query::new(&lang.language(), &source) {
        Ok(query) => {
            let owner = (0..query.pattern_count())
                .map(|i| {
                    let at = query.start_byte_for_pattern(i);
                    let k = starts
                        .partition_point(|(start, _)| *start <= at)
                        .saturating_sub(1);
                    starts[k].1.clone()
                })
                .collect();
            vec![(compiled(query), owner)]
        }
        Err(_) if chunk.len() > 1 => chunk
            .iter()
            .flat_map(|item| compile_chunk(std::slice::from_ref(item), lang))
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn compiled(query: Query) -> CompiledQuery {
    let hit_capture = query.capture_index_for_name("hit");
    CompiledQuery { query, hit_capture }
}
