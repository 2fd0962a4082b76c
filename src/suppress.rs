//! Inline suppressions: `// prodready-ignore RULE-ID: reason` (or `#` in YAML, Dockerfiles)
//! on the finding's line or the line above. A reason is required: without one the comment
//! suppresses nothing and is itself reported. Unused suppressions are reported too.

use crate::model::{Finding, Note, Suppression};
use crate::workspace::scan::ScannedFile;
use std::collections::{BTreeSet, HashMap};

pub fn apply(findings: &mut [Finding], files: &[ScannedFile], notes: &mut Vec<Note>) {
    let by_path: HashMap<&str, &ScannedFile> = files
        .iter()
        .filter(|f| !f.facts.suppressions.is_empty())
        .map(|f| (f.rel.as_str(), f))
        .collect();
    let mut used: BTreeSet<(String, usize, String)> = BTreeSet::new();
    let mut reasonless: BTreeSet<(String, usize, String)> = BTreeSet::new();
    for finding in findings.iter_mut() {
        let Some(file) = by_path.get(finding.location.path.as_str()) else {
            continue;
        };
        let line = finding.location.line;
        let comment =
            file.facts.suppressions.iter().find(|s| {
                (s.line == line || s.line + 1 == line) && s.rules.contains(&finding.rule)
            });
        let Some(comment) = comment else { continue };
        let key = (file.rel.clone(), comment.line, finding.rule.clone());
        if comment.reason.is_empty() {
            reasonless.insert(key);
            continue;
        }
        used.insert(key);
        finding.suppressed = Some(Suppression {
            reason: comment.reason.clone(),
            location: crate::model::Location {
                path: file.rel.clone(),
                line: comment.line,
                column: 1,
            },
        });
    }
    for (path, line, rule) in &reasonless {
        notes.push(Note {
            path: format!("{path}:{line}"),
            message: format!(
                "prodready-ignore {rule} has no reason, so it suppresses nothing: write `prodready-ignore {rule}: why`"
            ),
        });
    }
    for file in by_path.values() {
        for s in &file.facts.suppressions {
            for rule in &s.rules {
                let key = (file.rel.clone(), s.line, rule.clone());
                if !used.contains(&key) && !reasonless.contains(&key) {
                    notes.push(Note {
                        path: format!("{}:{}", file.rel, s.line),
                        message: format!(
                            "unused suppression: prodready-ignore {rule} matches no finding here"
                        ),
                    });
                }
            }
        }
    }
}
