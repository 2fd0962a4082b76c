//! prodready: audits a Node/TypeScript backend repository for production readiness.
//! `run` is the whole CLI, callable in-process by tests.

// The library has no unsafe code; the binary's one call (tree-sitter's allocator) is in main.rs.
#![forbid(unsafe_code)]

pub mod analyzers;
pub mod app;
pub mod cli;
pub mod config;
pub mod eval;
pub mod explain;
pub mod facts;
pub mod harness;
pub mod model;
pub mod report;
pub mod rules;
pub mod suppress;
pub mod timing;
pub mod workspace;

use clap::Parser;
use cli::{Cli, Command, Format};
use std::io::Write;

/// Exit statuses: 0 clean, 1 findings at or above the gate, 2 usage / config / rule error.
pub const EXIT_CLEAN: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

/// Writes text, treating a closed pipe (`prodready | head`) as a normal end.
fn emit(out: &mut dyn Write, text: &str) {
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}

fn error(err: &mut dyn Write, message: impl std::fmt::Display) -> i32 {
    let _ = writeln!(err, "error: {message}");
    EXIT_ERROR
}

pub fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_CLEAN
            };
            let text = e.render().to_string();
            if e.use_stderr() {
                emit(err, &text);
            } else {
                emit(out, &text);
            }
            return code;
        }
    };
    match cli.command {
        None => audit(&cli.audit, out, err),
        Some(Command::Audit(args)) => audit(&args, out, err),
        Some(Command::Rules(args)) => match rules::RuleSet::load(&args.rules) {
            Ok(set) => {
                emit(out, &explain::list(&set, args.format));
                EXIT_CLEAN
            }
            Err(e) => error(err, e),
        },
        Some(Command::Explain { id, rules }) => match rules::RuleSet::load(&rules) {
            Ok(set) => match set.rule(&id.to_ascii_uppercase()) {
                Some(rule) => {
                    emit(out, &explain::explain(rule));
                    EXIT_CLEAN
                }
                None => error(err, format!("no rule `{id}` (see `prodready rules`)")),
            },
            Err(e) => error(err, e),
        },
        Some(Command::TestRules { dir, rules }) => match rules::RuleSet::load(&rules) {
            Ok(set) => {
                let outcome = harness::run_dir(&dir, &set);
                emit(out, &outcome.render());
                if outcome.failed() == 0 {
                    EXIT_CLEAN
                } else {
                    EXIT_FINDINGS
                }
            }
            Err(e) => error(err, e),
        },
    }
}

/// A terminal sizes the table itself; a pipe or CI log gets COLUMNS or 140 columns.
fn table_width() -> Option<u16> {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        return None;
    }
    Some(
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(140),
    )
}

fn audit(args: &cli::AuditArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let settings = match config::Settings::resolve(args) {
        Ok(s) => s,
        Err(e) => return error(err, e),
    };
    timing::begin();
    let set = match rules::RuleSet::load(&settings.rule_dirs) {
        Ok(s) => s,
        Err(e) => return error(err, e),
    };
    timing::mark("rules loaded");
    if let Err(e) = settings.check_rule_ids(&|id| set.rule(id).is_some()) {
        return error(err, e);
    }
    let report = app::audit(&settings, &set);
    let text = match settings.format {
        Format::Json => report::json::render(&report),
        Format::Table => report::table::render(&report, table_width()),
    };
    timing::mark("report rendered");
    emit(out, &text);
    if report.gate_failed() {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }
}
