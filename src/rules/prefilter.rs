//! One Aho-Corasick automaton over every pattern's literals: a single pass over a file says
//! which patterns can possibly hit it, and so whether it needs a parse at all.

use super::Pattern;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

pub struct Prefilter {
    automaton: Option<AhoCorasick>,
    /// Literal index → patterns it enables.
    enables: Vec<Vec<usize>>,
    /// Patterns with no literal: they run on every file they apply to.
    always: Vec<usize>,
    /// Extra literals registered by built-in fact extractors, after the rule literals.
    extra_start: usize,
    /// Literal index → every literal it contains (itself included). The search is
    /// non-overlapping (several times faster than an overlapping one), so a match of
    /// `enableCors` must also count as a match of `cors`.
    implies: Vec<Vec<usize>>,
}

/// What the prefilter found in one file.
pub struct Enabled {
    pub patterns: Vec<bool>,
    /// Indices (0-based, in registration order) of extra literals present.
    pub extra: Vec<bool>,
}

impl Prefilter {
    pub fn build_with_extra(patterns: &[Pattern], extra: &[String]) -> Prefilter {
        let mut literals: Vec<String> = Vec::new();
        let mut enables: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        for (id, p) in patterns.iter().enumerate() {
            // Conditions run where their parent may; the scanner gates them on the parent.
            if p.parent.is_some() {
                continue;
            }
            if p.literals.is_empty() {
                always.push(id);
            }
            for lit in &p.literals {
                let lit = lit.to_ascii_lowercase();
                match literals.iter().position(|l| *l == lit) {
                    Some(i) => enables[i].push(id),
                    None => {
                        literals.push(lit);
                        enables.push(vec![id]);
                    }
                }
            }
        }
        let extra_start = literals.len();
        literals.extend(extra.iter().map(|s| s.to_ascii_lowercase()));
        let automaton = if literals.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&literals)
                .ok()
        };
        let implies = literals
            .iter()
            .map(|outer| {
                (0..literals.len())
                    .filter(|&j| outer.contains(literals[j].as_str()))
                    .collect()
            })
            .collect();
        Prefilter {
            automaton,
            enables,
            always,
            extra_start,
            implies,
        }
    }

    pub fn scan(&self, pattern_count: usize, text: &[u8]) -> Enabled {
        let extra_len = self
            .automaton
            .as_ref()
            .map(|a| a.patterns_len() - self.extra_start)
            .unwrap_or(0);
        let mut out = Enabled {
            patterns: vec![false; pattern_count],
            extra: vec![false; extra_len],
        };
        for &id in &self.always {
            out.patterns[id] = true;
        }
        if let Some(ac) = &self.automaton {
            let mut seen = vec![false; ac.patterns_len()];
            for m in ac.find_iter(text) {
                let found = m.pattern().as_usize();
                if seen[found] {
                    continue;
                }
                for &lit in &self.implies[found] {
                    if std::mem::replace(&mut seen[lit], true) {
                        continue;
                    }
                    if lit >= self.extra_start {
                        out.extra[lit - self.extra_start] = true;
                    } else {
                        for &id in &self.enables[lit] {
                            out.patterns[id] = true;
                        }
                    }
                }
            }
        }
        out
    }
}
