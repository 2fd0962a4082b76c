//! The human report: a table of findings (MUST-FIX first), then which rules passed, which
//! did not apply, the notes and a summary line. Styling is always emitted; the caller prints
//! through anstream, which strips it when piped or under NO_COLOR.

use super::Report;
use crate::model::{Confidence, Priority, Status};
use anstyle::{AnsiColor, Style};
use comfy_table::{presets, Attribute, Cell, Color, ContentArrangement, Table};
use std::collections::BTreeMap;
use std::fmt::Write;

const BOLD: Style = Style::new().bold();
const RED: Style = AnsiColor::Red.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const GREEN: Style = AnsiColor::Green.on_default();
const DIM: Style = Style::new().dimmed();

pub fn render(report: &Report, width: Option<u16>) -> String {
    let mut out = String::new();
    let active: Vec<_> = report.active().collect();
    if active.is_empty() {
        let _ = writeln!(out, "{GREEN}No findings.{GREEN:#}");
    } else {
        let mut table = Table::new();
        table
            .load_style(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .enforce_styling()
            .set_header(vec!["Priority", "Rule", "App", "Location", "Message"]);
        if let Some(w) = width {
            table.set_width(w);
        }
        for f in active {
            let prio = match f.priority {
                Priority::MustFix => Cell::new(f.priority.label())
                    .fg(Color::Red)
                    .add_attribute(Attribute::Bold),
                Priority::PostLaunch => Cell::new(f.priority.label()).fg(Color::Yellow),
            };
            let message = if f.confidence == Confidence::Medium {
                format!("{} (medium confidence)", f.message)
            } else {
                f.message.clone()
            };
            table.add_row(vec![
                prio,
                Cell::new(&f.rule),
                Cell::new(&f.app),
                Cell::new(f.location.to_string()),
                Cell::new(message),
            ]);
        }
        let _ = writeln!(out, "{table}");
    }

    let mut by_status: BTreeMap<&str, BTreeMap<&str, Vec<&str>>> = BTreeMap::new();
    for st in &report.statuses {
        let key = match st.status {
            Status::Pass => "pass",
            Status::NotApplicable => "n/a",
            Status::Fail => continue,
        };
        by_status
            .entry(key)
            .or_default()
            .entry(st.rule.as_str())
            .or_default()
            .push(st.app.as_str());
    }
    let line = |rules: &BTreeMap<&str, Vec<&str>>| -> String {
        rules
            .iter()
            .map(|(rule, apps)| {
                if report.apps.len() > 1 && apps.len() < report.apps.len() {
                    format!("{rule} ({})", apps.join(", "))
                } else {
                    rule.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(pass) = by_status.get("pass") {
        let _ = writeln!(out, "{GREEN}Passed:{GREEN:#} {}", line(pass));
    }
    if let Some(na) = by_status.get("n/a") {
        let _ = writeln!(out, "{DIM}N/A: {}{DIM:#}", line(na));
    }
    let suppressed: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_some())
        .collect();
    if !suppressed.is_empty() {
        let _ = writeln!(out, "{DIM}Suppressed:{DIM:#}");
        for f in suppressed {
            let reason = f
                .suppressed
                .as_ref()
                .map(|s| s.reason.as_str())
                .unwrap_or("");
            let _ = writeln!(out, "  {} {} — {}", f.rule, f.location, reason);
        }
    }
    if !report.notes.is_empty() {
        let _ = writeln!(out, "{YELLOW}Notes:{YELLOW:#}");
        for n in &report.notes {
            if n.path.is_empty() {
                let _ = writeln!(out, "  {}", n.message);
            } else {
                let _ = writeln!(out, "  {}: {}", n.path, n.message);
            }
        }
    }
    let s = report.summary();
    let apps = if report.apps.is_empty() {
        "no backend application found".to_string()
    } else {
        let names: Vec<&str> = report.apps.iter().map(|a| a.name.as_str()).collect();
        format!(
            "{} app{}: {}",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        )
    };
    let must = if s.must_fix > 0 { RED } else { GREEN };
    let _ = write!(
        out,
        "{BOLD}Summary:{BOLD:#} {must}{} MUST-FIX{must:#}, {YELLOW}{} POST-LAUNCH{YELLOW:#}",
        s.must_fix, s.post_launch
    );
    if s.cannot_verify > 0 {
        let _ = write!(out, " ({} cannot verify)", s.cannot_verify);
    }
    if s.suppressed > 0 {
        let _ = write!(out, ", {} suppressed", s.suppressed);
    }
    let _ = writeln!(
        out,
        " · {} rules passed, {} failed, {} n/a · readiness {}% · {}",
        s.rules_passed, s.rules_failed, s.rules_not_applicable, s.readiness, apps
    );
    out
}
