//! Reports: one emitter per format, all reading the same `Report`.

pub mod json;
pub mod table;

use crate::model::{AppInfo, Finding, Note, Priority, RuleStatus, Status};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct RuleMeta {
    pub id: String,
    pub title: String,
    pub priority: Priority,
    pub category: String,
}

/// Everything an audit produced, sorted; the emitters only format it.
#[derive(Debug, Clone)]
pub struct Report {
    pub root: String,
    pub apps: Vec<AppInfo>,
    pub rules: Vec<RuleMeta>,
    pub findings: Vec<Finding>,
    pub statuses: Vec<RuleStatus>,
    pub notes: Vec<Note>,
    pub fail_on: Option<Priority>,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    pub must_fix: usize,
    pub post_launch: usize,
    pub suppressed: usize,
    pub cannot_verify: usize,
    pub rules_passed: usize,
    pub rules_failed: usize,
    pub rules_not_applicable: usize,
    /// Passed checks over applicable checks, in percent.
    pub readiness: u32,
}

impl Report {
    pub fn active(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppressed.is_none())
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for f in &self.findings {
            if f.suppressed.is_some() {
                s.suppressed += 1;
                continue;
            }
            if f.confidence == crate::model::Confidence::Medium {
                s.cannot_verify += 1;
            }
            match f.priority {
                Priority::MustFix => s.must_fix += 1,
                Priority::PostLaunch => s.post_launch += 1,
            }
        }
        for st in &self.statuses {
            match st.status {
                Status::Pass => s.rules_passed += 1,
                Status::Fail => s.rules_failed += 1,
                Status::NotApplicable => s.rules_not_applicable += 1,
            }
        }
        let applicable = s.rules_passed + s.rules_failed;
        s.readiness = (s.rules_passed * 100)
            .checked_div(applicable)
            .unwrap_or(100) as u32;
        s
    }

    /// Exit status 1 when an unsuppressed finding is at or above the gate.
    pub fn gate_failed(&self) -> bool {
        match self.fail_on {
            None => false,
            Some(threshold) => self.active().any(|f| f.priority.at_or_above(threshold)),
        }
    }
}
