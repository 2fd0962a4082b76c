//! Named analyzers: what a pattern cannot say on its own (cross-file resolution), each
//! configured from the YAML matcher that names it.

pub mod env_files;
pub mod nest_global;
pub mod prisma;
pub mod provenance;
pub mod routes;
pub mod secrets;

use crate::model::{Confidence, Location};

/// The analyzers a rule can name with `analyzer:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Analyzer {
    TenantScope,
    RelationOnDelete,
    Indexes,
    Migrations,
    Pagination,
    NPlusOne,
    Secrets,
    EnvCommitted,
    EnvExample,
    AuthRateLimit,
    WebhookSignature,
}

impl Analyzer {
    const ALL: &'static [(&'static str, Analyzer)] = &[
        ("prisma-tenant-scope", Analyzer::TenantScope),
        ("prisma-relation-ondelete", Analyzer::RelationOnDelete),
        ("prisma-indexes", Analyzer::Indexes),
        ("prisma-migrations", Analyzer::Migrations),
        ("prisma-pagination", Analyzer::Pagination),
        ("prisma-n-plus-one", Analyzer::NPlusOne),
        ("secrets", Analyzer::Secrets),
        ("env-committed", Analyzer::EnvCommitted),
        ("env-example", Analyzer::EnvExample),
        ("auth-rate-limit", Analyzer::AuthRateLimit),
        ("webhook-signature", Analyzer::WebhookSignature),
    ];

    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|(n, _)| *n).collect()
    }

    pub fn parse(name: &str) -> Option<Analyzer> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
    }

    /// The options an analyzer accepts (each a list of strings).
    pub fn options(self) -> &'static [&'static str] {
        match self {
            Analyzer::TenantScope => &[
                "tenant_fields",
                "owner_fields",
                "token_words",
                "public_words",
                "public_keys",
                "check_prefixes",
                "check_verbs",
                "access_words",
                "request_names",
                "exempt_paths",
                "review_paths",
                "operations",
            ],
            Analyzer::EnvExample => &["ignore_vars"],
            _ => &[],
        }
    }
}

/// One thing an analyzer reports.
#[derive(Debug, Clone)]
pub struct Site {
    pub location: Location,
    pub message: String,
    pub snippet: String,
    pub confidence: Confidence,
}
