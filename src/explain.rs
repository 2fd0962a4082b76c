//! `prodready rules` and `prodready explain`: generated from the rule definitions, never kept
//! by hand twice.

use crate::cli::Format;
use crate::rules::{Rule, RuleSet, Scope};
use comfy_table::{presets, ContentArrangement, Table};
use std::fmt::Write;

fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::Repo => "repo",
        Scope::App => "app",
        Scope::HttpApp => "http-app",
        Scope::WorkerApp => "worker-app",
        Scope::Entry => "entry",
        Scope::Prisma => "prisma",
    }
}

pub fn list(set: &RuleSet, format: Format) -> String {
    let mut rules: Vec<&Rule> = set.rules.iter().collect();
    rules.sort_by(|a, b| (a.priority, &a.id).cmp(&(b.priority, &b.id)));
    match format {
        Format::Json => {
            let items: Vec<serde_json::Value> = rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id, "title": r.title, "priority": r.priority,
                        "category": r.category, "scope": scope_name(r.scope), "source": r.source,
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(&items).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Table => {
            let mut table = Table::new();
            table
                .load_style(presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_header(vec!["Rule", "Priority", "Scope", "Title"]);
            for r in rules {
                table.add_row(vec![
                    r.id.as_str(),
                    r.priority.label(),
                    scope_name(r.scope),
                    r.title.as_str(),
                ]);
            }
            format!("{table}\n")
        }
    }
}

/// What it does / why it matters / how to fix / references: the fixed headings of rule docs.
pub fn explain(rule: &Rule) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} — {}", rule.id, rule.title);
    let _ = writeln!(
        s,
        "Priority: {} · Category: {} · Scope: {}",
        rule.priority,
        rule.category,
        scope_name(rule.scope)
    );
    let _ = writeln!(s, "\nWhy it matters\n{}", rule.why.trim_end());
    let _ = writeln!(s, "\nHow to fix\n{}", rule.fix.trim_end());
    if !rule.references.is_empty() {
        let _ = writeln!(s, "\nReferences");
        for r in &rule.references {
            let _ = writeln!(s, "- {r}");
        }
    }
    let _ = writeln!(
        s,
        "\nSuppress one finding with `// prodready-ignore {}: <reason>` on or above its line.",
        rule.id
    );
    s
}
