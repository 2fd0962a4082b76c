//! Aho-Corasick over every pattern's literals: one pass over a file says which patterns can
//! possibly hit it, and so whether it needs a parse at all.
//!
//! Matching is case-sensitive and the literal set is minimised (a literal that contains
//! another is represented by the shorter one), sorted, then split into automata of at most
//! `CHUNK` literals. Each automaton runs on SIMD Teddy, whose cost is its false candidates:
//! Teddy groups literals into buckets by leading bytes, and a bucket of unrelated literals
//! lights on ordinary code. Sorted literals that share leading bytes share an automaton,
//! and smaller automata have fewer literals per bucket: three sorted passes of 43 literals
//! scanned real repositories (dub, novu, hoppscotch, umami) about twice as fast as two
//! passes of 64 in length order (measured on this machine). Minimising only widens what a
//! literal admits, and the search restarts after each match's first byte, so no file a
//! pattern could match is skipped.

use super::Pattern;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};

/// Literals per automaton, at most (Teddy, the SIMD searcher, takes up to 64; fewer per
/// automaton cost fewer false candidates, see the module comment).
pub const CHUNK: usize = 44;

pub struct Prefilter {
    /// Each automaton with the index of its first literal in `literals`.
    automata: Vec<(AhoCorasick, usize)>,
    /// The literals the automaton searches for, after minimising.
    literals: Vec<String>,
    /// Automaton literal → patterns it enables.
    enables: Vec<Vec<usize>>,
    /// Automaton literal → extra (fact) literals it stands for.
    extras: Vec<Vec<usize>>,
    extra_count: usize,
    /// Patterns with no literal: they run on every file they apply to.
    always: Vec<usize>,
    /// Per pattern: some literal of it is represented by a shorter one (`ConfigModule` by
    /// `onfig`), so a hit of the automaton does not prove the pattern's own literal is there.
    widened: Vec<bool>,
}

/// What the prefilter found in one file.
pub struct Enabled {
    pub patterns: Vec<bool>,
    /// Indices (0-based, in registration order) of extra literals present.
    pub extra: Vec<bool>,
}

impl Prefilter {
    pub fn build_with_extra(patterns: &[Pattern], extra: &[String]) -> Prefilter {
        // Every literal with what it enables: patterns, or an extra literal's index.
        let mut wanted: Vec<(String, Option<usize>, Option<usize>)> = Vec::new();
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
                wanted.push((lit.clone(), Some(id), None));
            }
        }
        for (i, lit) in extra.iter().enumerate() {
            wanted.push((lit.clone(), None, Some(i)));
        }
        let mut distinct: Vec<String> = wanted.iter().map(|w| w.0.clone()).collect();
        distinct.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
        distinct.dedup();
        // Shortest first: each literal is represented by the first (shortest) literal it contains.
        let mut reps: Vec<String> = Vec::new();
        for lit in &distinct {
            if !reps.iter().any(|r| lit.contains(r.as_str())) {
                reps.push(lit.clone());
            }
        }
        // Sorted, so that literals sharing leading bytes share an automaton.
        reps.sort();
        let rep_of = |lit: &str| reps.iter().position(|r| lit.contains(r.as_str()));
        let mut enables = vec![Vec::new(); reps.len()];
        let mut extras = vec![Vec::new(); reps.len()];
        for (lit, pattern, extra_index) in &wanted {
            let Some(r) = rep_of(lit) else { continue };
            if let Some(id) = pattern {
                enables[r].push(*id);
            }
            if let Some(e) = extra_index {
                extras[r].push(*e);
            }
        }
        let mut widened = vec![false; patterns.len()];
        for (lit, pattern, _) in &wanted {
            if let Some(id) = pattern {
                widened[*id] |= !reps.contains(lit);
            }
        }
        // Balanced chunks: 128 literals make three automata of 43, not 44 + 44 + 40.
        let size = reps
            .len()
            .div_ceil(reps.len().div_ceil(CHUNK).max(1))
            .max(1);
        let automata = reps
            .chunks(size)
            .enumerate()
            .filter_map(|(i, chunk)| {
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(chunk)
                    .ok()
                    .map(|ac| (ac, i * size))
            })
            .collect();
        Prefilter {
            automata,
            literals: reps,
            enables,
            extras,
            extra_count: extra.len(),
            always,
            widened,
        }
    }

    /// Does pattern `id` need its own literals confirmed in a file the automata enabled it
    /// for? (Only when one of them was represented by a shorter literal.)
    pub fn widened(&self, id: usize) -> bool {
        self.widened.get(id).copied().unwrap_or(false)
    }

    /// The literals the automata search for (each `CHUNK` more cost one more pass over each file;
    /// a test holds the built-in rules to a budget).
    pub fn literals(&self) -> &[String] {
        &self.literals
    }

    pub fn scan(&self, pattern_count: usize, text: &[u8]) -> Enabled {
        let mut out = Enabled {
            patterns: vec![false; pattern_count],
            extra: vec![false; self.extra_count],
        };
        for &id in &self.always {
            out.patterns[id] = true;
        }
        let mut seen = vec![false; self.literals.len()];
        for (ac, first) in &self.automata {
            // Resume one byte after each match's start, not at its end: no literal of the
            // minimised set contains another, so at most one can start at a given byte, and
            // this finds every occurrence of every literal (overlaps included) while keeping
            // the fast leftmost (Teddy) search.
            let mut at = 0;
            while let Some(m) = ac.find(Input::new(text).span(at..text.len())) {
                at = m.start() + 1;
                let lit = first + m.pattern().as_usize();
                if std::mem::replace(&mut seen[lit], true) {
                    continue;
                }
                for &id in &self.enables[lit] {
                    out.patterns[id] = true;
                }
                for &e in &self.extras[lit] {
                    out.extra[e] = true;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Pattern, PatternKind};

    fn pattern(literals: &[&str]) -> Pattern {
        Pattern {
            kind: PatternKind::Query {
                source: String::new(),
            },
            files: None,
            tests: false,
            literals: literals.iter().map(|s| s.to_string()).collect(),
            required: Vec::new(),
            rule: "T".into(),
            origin: (String::new(), 0, 0),
            builtin: true,
            parent: None,
        }
    }

    #[test]
    fn overlapping_and_contained_literals_are_all_found() {
        let patterns = [
            pattern(&["pino"]),
            pattern(&["origin"]),
            pattern(&["nestjs-pino"]),
            pattern(&["cors"]),
        ];
        let pf = Prefilter::build_with_extra(&patterns, &[]);
        // "pinorigin": `pino` and `origin` overlap; `nestjs-pino` is represented by `pino`.
        let found = pf.scan(patterns.len(), b"x pinorigin y");
        assert_eq!(found.patterns, vec![true, true, true, false]);
        assert_eq!(pf.literals().len(), 3);
    }

    #[test]
    fn a_literal_represented_by_a_shorter_one_is_marked_widened() {
        let patterns = [pattern(&["onfig"]), pattern(&["ConfigModule", "zod"])];
        let pf = Prefilter::build_with_extra(&patterns, &[]);
        assert!(!pf.widened(0));
        assert!(pf.widened(1));
        // The automaton alone enables the second pattern on `config`: the scanner confirms.
        assert!(pf.scan(patterns.len(), b"const config = 1").patterns[1]);
    }

    #[test]
    fn literals_beyond_one_automaton_are_found() {
        let names: Vec<String> = (0..150).map(|i| format!("lit{i:03}x")).collect();
        let patterns: Vec<Pattern> = names.iter().map(|n| pattern(&[n])).collect();
        let pf = Prefilter::build_with_extra(&patterns, &[]);
        assert_eq!(pf.automata.len(), 150usize.div_ceil(CHUNK));
        let found = pf.scan(patterns.len(), b"a lit007x b lit149x c lit100x");
        let hit: Vec<usize> = (0..150).filter(|&i| found.patterns[i]).collect();
        assert_eq!(hit, vec![7, 100, 149]);
    }
}
