//! The vocabulary every other module speaks: priorities, locations, findings, statuses.
//! Depends on nothing else in the crate so reporters can be tested on their own.

use serde::Serialize;
use std::fmt;

/// How urgent a rule is. MUST-FIX gates CI by default; POST-LAUNCH is reported only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Priority {
    MustFix,
    PostLaunch,
}

impl Priority {
    pub fn parse(text: &str) -> Option<Priority> {
        match text.to_ascii_lowercase().replace('_', "-").as_str() {
            "must-fix" | "mustfix" => Some(Priority::MustFix),
            "post-launch" | "postlaunch" => Some(Priority::PostLaunch),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Priority::MustFix => "MUST-FIX",
            Priority::PostLaunch => "POST-LAUNCH",
        }
    }

    /// True when a finding of this priority trips a gate set at `threshold`.
    pub fn at_or_above(self, threshold: Priority) -> bool {
        self <= threshold
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// High: the tool saw the problem. Medium: it could not see enough to be sure ("cannot verify").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    High,
    Medium,
}

/// A place in the audited tree; `path` is relative to the audited root, `/`-separated.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    pub path: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path, self.line)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Suppression {
    pub reason: String,
    pub location: Location,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: String,
    pub priority: Priority,
    pub title: String,
    pub app: String,
    pub location: Location,
    pub message: String,
    pub evidence: String,
    pub confidence: Confidence,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
}

impl Finding {
    /// The order of the report: priority, then rule, then place; stable whatever the threads did.
    pub fn sort_key(&self) -> (Priority, &str, &str, &str, usize, usize, &str) {
        let (priority, rule, app, path, line, column) = self.place_key();
        (priority, rule, app, path, line, column, &self.message)
    }

    /// The rule and the place: one finding each.
    pub fn place_key(&self) -> (Priority, &str, &str, &str, usize, usize) {
        (
            self.priority,
            &self.rule,
            &self.app,
            &self.location.path,
            self.location.line,
            self.location.column,
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    NotApplicable,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NotApplicable => "n/a",
        }
    }
}

/// One rule's verdict for one application (or the repository, for repo-scoped rules).
#[derive(Debug, Clone, Serialize)]
pub struct RuleStatus {
    pub rule: String,
    pub app: String,
    pub status: Status,
    /// Why the rule did not apply, or what passed it.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// Something the audit skipped or could only partly read; said once, never fatal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Note {
    pub path: String,
    pub message: String,
}

/// An application found in the audited tree.
#[derive(Debug, Clone, Serialize)]
pub struct AppInfo {
    pub name: String,
    pub path: String,
    pub kinds: Vec<String>,
    pub entries: Vec<String>,
}
