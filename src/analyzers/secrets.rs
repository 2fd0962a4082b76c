//! SEC-SECRETS: the secret literals the scan found, as findings, and the redaction every
//! other finding goes through so that no output format can carry a secret.

use super::Site;
use crate::facts::secrets::redact;
use crate::model::{Confidence, Finding, Location};
use crate::workspace::scan::ScannedFile;
use std::collections::{BTreeMap, BTreeSet};

/// One site per secret literal in the unit's files.
pub fn sites(files: &[ScannedFile], unit_files: &BTreeSet<usize>) -> Vec<Site> {
    unit_files
        .iter()
        .flat_map(|&i| {
            let file = &files[i];
            file.facts.secrets.iter().map(move |s| Site {
                location: Location {
                    path: file.rel.clone(),
                    line: s.line,
                    column: s.column,
                },
                message: format!(
                    "{}: {} — move it to the environment or a secret manager, and rotate it",
                    s.kind,
                    redact(&s.value)
                ),
                snippet: s.evidence.clone(),
                confidence: Confidence::High,
            })
        })
        .collect()
}

/// Replaces every secret value the scan saw in a file in the message and evidence of any
/// finding located in that file: another rule's snippet may show the same line. (Only there:
/// a short value such as `test` must not garble findings elsewhere.)
pub fn redact_findings(findings: &mut [Finding], files: &[ScannedFile]) {
    let by_file: BTreeMap<&str, Vec<&str>> = files
        .iter()
        .filter(|f| !f.facts.secrets.is_empty())
        .map(|f| {
            let values = f
                .facts
                .secrets
                .iter()
                .flat_map(|s| s.value.lines().filter(|l| l.trim().len() >= 4))
                .collect();
            (f.rel.as_str(), values)
        })
        .collect();
    if by_file.is_empty() {
        return;
    }
    for f in findings {
        let Some(values) = by_file.get(f.location.path.as_str()) else {
            continue;
        };
        for text in [&mut f.message, &mut f.evidence] {
            for v in values {
                if text.contains(v) {
                    *text = text.replace(v, &redact(v));
                }
            }
        }
    }
}
