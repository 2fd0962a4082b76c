//! `prodready.toml` / `.prodready.toml` at the audited root, merged with the flags into one
//! resolved `Settings`. Unknown keys are errors naming file:line.

use crate::analyzers::prisma::TenantConfig;
use crate::cli::{AuditArgs, FailOn, Format};
use crate::model::Priority;
use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    fail_on: Option<String>,
    #[serde(default)]
    rule_dirs: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    prisma: RawPrisma,
}

/// `[prisma]`: what DATA-TENANT-SCOPE treats as a tenant, and where it does not look.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPrisma {
    tenant_fields: Option<Vec<String>>,
    exempt_paths: Option<Vec<String>>,
    review_paths: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    disable: Vec<String>,
    #[serde(default)]
    priority: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ConfigError {}

/// Everything the audit needs to know, resolved once.
#[derive(Debug)]
pub struct Settings {
    pub root: PathBuf,
    pub format: Format,
    /// None: never fail.
    pub fail_on: Option<Priority>,
    pub rule_dirs: Vec<PathBuf>,
    pub ignore: GlobSet,
    pub disabled: Vec<String>,
    pub priorities: BTreeMap<String, Priority>,
    /// Where the config came from, and the text, for later "unknown rule" errors.
    pub config_file: Option<(String, String)>,
    pub tenant: TenantConfig,
}

fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    (line, column)
}

/// The line of the first occurrence of `needle` in the config, for errors about a value.
pub fn line_of(text: &str, needle: &str) -> (usize, usize) {
    text.find(needle)
        .map(|o| position(text, o))
        .unwrap_or((1, 1))
}

fn fail_on(value: FailOn) -> Option<Priority> {
    match value {
        FailOn::MustFix => Some(Priority::MustFix),
        FailOn::PostLaunch => Some(Priority::PostLaunch),
        FailOn::Never => None,
    }
}

impl Settings {
    pub fn resolve(args: &AuditArgs) -> Result<Settings, ConfigError> {
        let root = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
        if !root.is_dir() {
            return Err(ConfigError {
                file: root.display().to_string(),
                line: 0,
                column: 0,
                message: "not a directory".into(),
            });
        }
        let config_path = match &args.config {
            Some(p) => Some(p.clone()),
            None => ["prodready.toml", ".prodready.toml"]
                .iter()
                .map(|n| root.join(n))
                .find(|p| p.is_file()),
        };
        let (raw, config_file) = match &config_path {
            Some(path) => {
                let name = path.display().to_string();
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
                    file: name.clone(),
                    line: 0,
                    column: 0,
                    message: format!("cannot read: {e}"),
                })?;
                let raw: RawConfig = toml::from_str(&text).map_err(|e| {
                    let (line, column) =
                        e.span().map(|s| position(&text, s.start)).unwrap_or((1, 1));
                    ConfigError {
                        file: name.clone(),
                        line,
                        column,
                        message: e.message().trim().to_string(),
                    }
                })?;
                (raw, Some((name, text)))
            }
            None => (RawConfig::default(), None),
        };
        let err_at = |needle: &str, message: String| {
            let (file, text) = config_file.clone().unwrap_or_default();
            let (line, column) = line_of(&text, needle);
            ConfigError {
                file,
                line,
                column,
                message,
            }
        };
        let config_fail_on = match raw.fail_on.as_deref() {
            None => None,
            Some("never") => Some(None),
            Some(v) => Some(Some(Priority::parse(v).ok_or_else(|| {
                err_at(
                    v,
                    format!("fail_on is must-fix, post-launch or never, not `{v}`"),
                )
            })?)),
        };
        let mut priorities = BTreeMap::new();
        for (id, p) in &raw.rules.priority {
            let prio = Priority::parse(p).ok_or_else(|| {
                err_at(
                    id,
                    format!("priority of {id} is must-fix or post-launch, not `{p}`"),
                )
            })?;
            priorities.insert(id.clone(), prio);
        }
        let mut builder = GlobSetBuilder::new();
        for g in &raw.ignore {
            let glob =
                Glob::new(g).map_err(|e| err_at(g, format!("bad ignore glob `{g}`: {e}")))?;
            builder.add(glob);
        }
        let ignore = builder
            .build()
            .map_err(|e| err_at("ignore", format!("bad ignore globs: {e}")))?;
        let prisma_globs = [
            ("exempt_paths", &raw.prisma.exempt_paths),
            ("review_paths", &raw.prisma.review_paths),
        ];
        for (key, globs) in prisma_globs {
            for g in globs.iter().flatten() {
                Glob::new(g).map_err(|e| err_at(g, format!("bad {key} glob `{g}`: {e}")))?;
            }
        }
        let base = config_path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_else(|| root.clone());
        let mut rule_dirs: Vec<PathBuf> = raw.rule_dirs.iter().map(|d| base.join(d)).collect();
        rule_dirs.extend(args.rules.iter().cloned());
        Ok(Settings {
            root,
            format: args.format.unwrap_or(Format::Table),
            fail_on: match args.fail_on {
                Some(f) => fail_on(f),
                None => config_fail_on.unwrap_or(Some(Priority::MustFix)),
            },
            rule_dirs,
            ignore,
            disabled: raw.rules.disable,
            priorities,
            config_file,
            tenant: TenantConfig {
                fields: raw.prisma.tenant_fields,
                exempt_paths: raw.prisma.exempt_paths,
                review_paths: raw.prisma.review_paths,
            },
        })
    }

    /// Config entries that name no loaded rule: a typo would otherwise silently do nothing.
    pub fn check_rule_ids(&self, known: &dyn Fn(&str) -> bool) -> Result<(), ConfigError> {
        let (file, text) = self.config_file.clone().unwrap_or_default();
        for id in self.disabled.iter().chain(self.priorities.keys()) {
            if !known(id) {
                let (line, column) = line_of(&text, id);
                return Err(ConfigError {
                    file,
                    line,
                    column,
                    message: format!("unknown rule id `{id}` (see `prodready rules`)"),
                });
            }
        }
        Ok(())
    }
}
