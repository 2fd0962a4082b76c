//! `--format json`: a versioned document holding every finding (suppressed ones flagged),
//! every rule's status per application, the applications and the notes. Schema in README.

use super::{Report, RuleMeta, Summary};
use crate::model::{AppInfo, Finding, Note, RuleStatus};
use serde::Serialize;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    root: &'a str,
    fail_on: Option<crate::model::Priority>,
    gate_failed: bool,
    summary: Summary,
    apps: &'a [AppInfo],
    rules: &'a [RuleMeta],
    findings: &'a [Finding],
    statuses: &'a [RuleStatus],
    notes: &'a [Note],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

pub fn render(report: &Report) -> String {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "prodready",
            version: env!("CARGO_PKG_VERSION"),
        },
        root: &report.root,
        fail_on: report.fail_on,
        gate_failed: report.gate_failed(),
        summary: report.summary(),
        apps: &report.apps,
        rules: &report.rules,
        findings: &report.findings,
        statuses: &report.statuses,
        notes: &report.notes,
    };
    let mut text =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
