//! The serde mirror of a rule file. Everything is `deny_unknown_fields` so a typo is an error
//! with a line number, never a silently ignored key. `compile.rs` turns this into matchers.

use serde::Deserialize;
use serde_saphyr::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub id: Spanned<String>,
    pub title: String,
    pub priority: Spanned<String>,
    pub category: String,
    pub scope: Spanned<String>,
    pub why: String,
    pub fix: String,
    #[serde(default)]
    pub references: Vec<String>,
    /// Where a missing control is reported: `entry` (default) or `manifest` (package.json).
    #[serde(default)]
    pub anchor: Option<Spanned<String>>,
    /// What must be present for the rule to apply at all; absent → N/A.
    #[serde(default)]
    pub subject: Option<RawMatcher>,
    /// A control that must exist in the scope; when absent, one finding at the anchor.
    #[serde(default)]
    pub require: Option<RawMatcher>,
    /// Patterns of which each surviving match is a finding.
    #[serde(default)]
    pub forbid: Vec<RawMatcher>,
}

/// One matcher: exactly one of the kind keys (`query`, `regex`, `file`, `dependency`, `global`,
/// `all`, `any`, `not`) plus modifiers. Flat on purpose, as in ast-grep: YAML stays short.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawMatcher {
    /// Human name used in messages ("a globally bound ThrottlerGuard").
    pub name: Option<String>,

    pub query: Option<Spanned<String>>,
    pub regex: Option<Spanned<String>>,
    pub file: Option<Vec<String>>,
    pub dependency: Option<Vec<String>>,
    pub global: Option<RawGlobal>,
    /// A named analyzer (`prisma-tenant-scope` ...): what a pattern cannot see.
    pub analyzer: Option<Spanned<String>>,
    /// The analyzer's options: each a list of strings.
    pub options: Option<Spanned<std::collections::BTreeMap<String, Vec<String>>>>,
    pub all: Option<Vec<RawMatcher>>,
    pub any: Option<Vec<RawMatcher>>,
    pub not: Option<Box<RawMatcher>>,

    /// Globs (relative to the app) a query or regex looks at; default: JS/TS sources.
    pub files: Option<Vec<String>>,
    /// Include test files (excluded by default).
    #[serde(default)]
    pub tests: bool,
    /// Strings of which at least one must occur in a file for the matcher to hit it.
    pub literals: Option<Vec<String>>,
    /// For `file:`: look in the app folder only (`app`, default) or also its ancestors up to
    /// the audited root (`app-or-ancestors`).
    pub search: Option<Spanned<String>>,
    /// Where a condition looks: `node` (inside the matched node), `file`, `app`, `entry`.
    #[serde(rename = "in")]
    pub within: Option<Spanned<String>>,
    /// Conditions that must all hold in the app for this matcher to apply.
    #[serde(default)]
    pub when: Vec<RawMatcher>,
    /// Conditions that must all hold for a match to count.
    #[serde(default)]
    pub and: Vec<RawMatcher>,
    /// Conditions any of which cancels a match.
    #[serde(default)]
    pub unless: Vec<RawMatcher>,
    /// Finding message (forbid / require), or the message for a partly satisfied `all`.
    pub message: Option<String>,
    /// In a `require` alternative: the message when this alternative applies and is absent.
    pub missing: Option<String>,
    /// `high` (default) or `medium`.
    pub confidence: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGlobal {
    /// guard | pipe | filter | interceptor
    pub kind: Spanned<String>,
    /// The class that must be bound (a subclass counts).
    pub class: String,
    /// Option keys and the literal value each must have, e.g. `{ whitelist: "true" }`.
    #[serde(default)]
    pub options: std::collections::BTreeMap<String, String>,
}
