//! All query patterns of all rules merged into ONE tree-sitter query per grammar, compiled
//! once at start-up: a query costs one pass over the tree however many patterns it holds.

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

pub struct LangQuery {
    pub query: Query,
    /// Query pattern index → index into `RuleSet::patterns`.
    pub owner: Vec<usize>,
    /// Capture index of `@hit` (the node to report), if any pattern uses it.
    pub hit_capture: Option<u32>,
}

pub struct Queries {
    pub ts: Option<LangQuery>,
    pub tsx: Option<LangQuery>,
}

impl Queries {
    pub fn get(&self, lang: Lang) -> Option<&LangQuery> {
        match lang {
            Lang::TypeScript => self.ts.as_ref(),
            Lang::Tsx => self.tsx.as_ref(),
        }
    }

    pub fn compile(patterns: &[Pattern]) -> Result<Queries, RuleError> {
        let mut source = String::new();
        let mut segments: Vec<(usize, usize)> = Vec::new(); // (start byte, pattern id)
        for (id, p) in patterns.iter().enumerate() {
            if let PatternKind::Query { source: s } = &p.kind {
                segments.push((source.len(), id));
                source.push_str(s);
                source.push('\n');
            }
        }
        if segments.is_empty() {
            return Ok(Queries {
                ts: None,
                tsx: None,
            });
        }
        let (ts, tsx) = rayon::join(
            || compile_one(Lang::TypeScript, &source, &segments, patterns),
            || compile_one(Lang::Tsx, &source, &segments, patterns),
        );
        Ok(Queries {
            ts: Some(ts?),
            tsx: Some(tsx?),
        })
    }
}

fn owner_of(segments: &[(usize, usize)], offset: usize) -> (usize, usize) {
    let index = segments
        .partition_point(|(start, _)| *start <= offset)
        .saturating_sub(1);
    segments[index]
}

fn compile_one(
    lang: Lang,
    source: &str,
    segments: &[(usize, usize)],
    patterns: &[Pattern],
) -> Result<LangQuery, RuleError> {
    let query = Query::new(&lang.language(), source).map_err(|e| {
        let (start, id) = owner_of(segments, e.offset);
        let pattern = &patterns[id];
        let row_in_segment = source[start..e.offset.min(source.len())]
            .matches('\n')
            .count();
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
        RuleError {
            file: file.clone(),
            line: line + row_in_segment,
            column: if row_in_segment == 0 {
                *col
            } else {
                e.column + 1
            },
            rule: pattern.rule.clone(),
            message: format!(
                "tree-sitter query does not compile: {what}: {}",
                e.message.trim()
            ),
        }
    })?;
    let owner = (0..query.pattern_count())
        .map(|i| owner_of(segments, query.start_byte_for_pattern(i)).1)
        .collect();
    let hit_capture = query.capture_index_for_name("hit");
    Ok(LangQuery {
        query,
        owner,
        hit_capture,
    })
}
