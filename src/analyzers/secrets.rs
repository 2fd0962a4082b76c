//! SEC-SECRETS: the secret literals the scan found, as findings, and the redaction every
//! other finding goes through so that no output format can carry a secret.

use super::Site;
use crate::facts::secrets::redact;
use crate::model::{Confidence, Finding, Location};
use crate::workspace::scan::ScannedFile;
use std::collections::BTreeSet;

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

/// Replaces every secret value the scan saw in any finding's message or evidence: another
/// rule's snippet may show the same line.
pub fn redact_findings(findings: &mut [Finding], files: &[ScannedFile]) {
    let values: BTreeSet<&str> = files
        .iter()
        .flat_map(|f| f.facts.secrets.iter())
        .flat_map(|s| s.value.lines().filter(|l| l.trim().len() >= 4))
        .collect();
    if values.is_empty() {
        return;
    }
    let scrub = |text: &mut String| {
        for v in &values {
            if text.contains(v) {
                *text = text.replace(v, &redact(v));
            }
        }
    };
    for f in findings {
        scrub(&mut f.message);
        scrub(&mut f.evidence);
    }
}
