//! Command-line arguments as clap types. No I/O here: `config.rs` resolves them.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "prodready",
    version,
    about = "Audit a Node/TypeScript backend repository for production readiness",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// With no subcommand, `prodready` audits the current directory.
    #[command(flatten)]
    pub audit: AuditArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit a repository (default: the current directory).
    Audit(AuditArgs),
    /// List the rules: id, priority, scope, title.
    Rules(RulesArgs),
    /// Explain a rule: what it checks, why, how to fix it.
    Explain {
        /// A rule id, e.g. SEC-RATE-LIMIT.
        id: String,
        /// Extra rule folders (repeatable).
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// Run rule fixtures: DIR/<RULE-ID>/{pass,fail}/... mini-projects with `// expect:` marks.
    TestRules {
        /// Folder of fixtures, laid out as fixtures/<RULE-ID>/{pass,fail}/<case>/.
        dir: PathBuf,
        /// Extra rule folders (repeatable).
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    MustFix,
    PostLaunch,
    Never,
}

#[derive(Debug, Args, Default)]
pub struct AuditArgs {
    /// Repository to audit.
    pub path: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Lowest priority that makes the exit status 1 (default: must-fix, or `fail_on` in config).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Extra rule folders (repeatable); a rule with a built-in id replaces the built-in.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Config file (default: prodready.toml or .prodready.toml at the audited root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Extra rule folders (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
}
