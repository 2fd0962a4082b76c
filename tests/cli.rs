//! Whole-CLI behaviour: exit statuses, gates, JSON shape, error messages with file:line,
//! suppressions, robustness on hostile input.

mod common;

use common::{prodready, write};
use predicates::prelude::*;
use std::fs;
use std::path::Path;

/// An Express app that fails only SEC-HELMET... and a few others; enough for gate tests.
fn express_app(root: &Path) {
    write(
        root,
        "package.json",
        r#"{"name":"api","dependencies":{"express":"4"}}"#,
    );
    write(root, "package-lock.json", "{}");
    write(
        root,
        "src/server.ts",
        "import express from 'express';\nconst app = express();\napp.get('/health', (_q, r) => r.send('ok'));\napp.listen(3000);\n",
    );
}

#[test]
fn demo_app_fails_the_gate_with_exit_1() {
    prodready()
        .args(["audit", "fixtures/demo-app"])
        .env("COLUMNS", "1000")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("SEC-RATE-LIMIT"))
        .stdout(predicate::str::contains(
            "ThrottlerGuard is never bound globally",
        ))
        .stdout(predicate::str::contains("Summary:"));
}

#[test]
fn an_empty_tree_is_clean_with_exit_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    prodready()
        .arg("audit")
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("no backend application found"));
}

#[test]
fn fail_on_moves_the_gate() {
    let dir = tempfile::tempdir().expect("tempdir");
    express_app(dir.path());
    // Every finding demoted to post-launch: the default gate passes, a stricter one fails.
    write(
        dir.path(),
        "prodready.toml",
        "[rules.priority]\nSEC-HELMET = \"post-launch\"\nSEC-RATE-LIMIT = \"post-launch\"\nQUEUE-SHUTDOWN = \"post-launch\"\nOBS-STRUCTURED-LOGS = \"post-launch\"\n",
    );
    prodready().arg("audit").arg(dir.path()).assert().code(0);
    prodready()
        .arg("audit")
        .arg(dir.path())
        .args(["--fail-on", "post-launch"])
        .assert()
        .code(1);
    prodready()
        .arg("audit")
        .arg(dir.path())
        .args(["--fail-on", "never"])
        .assert()
        .code(0);
}

#[test]
fn json_output_has_the_documented_shape() {
    let output = prodready()
        .args(["audit", "fixtures/demo-app", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["gate_failed"], true);
    let findings = doc["findings"].as_array().expect("findings");
    assert!(!findings.is_empty());
    for key in [
        "rule",
        "priority",
        "title",
        "app",
        "location",
        "message",
        "confidence",
    ] {
        assert!(findings[0].get(key).is_some(), "finding has {key}");
    }
    assert_eq!(findings[0]["priority"], "must-fix");
    let statuses = doc["statuses"].as_array().expect("statuses");
    assert!(statuses
        .iter()
        .any(|s| s["rule"] == "OBS-HEALTH" && s["app"] == "demo-api" && s["status"] == "pass"));
    assert!(doc["summary"]["must_fix"].as_u64().expect("count") > 0);
    assert_eq!(doc["apps"][0]["name"], "demo-api");
}

/// Loads a folder holding one user rule file and expects exit 2 with each `expected` text.
fn assert_rule_error(name: &str, yaml: &str, expected: &[&str]) {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), name, yaml);
    let mut assert = prodready()
        .args(["rules", "--rules"])
        .arg(dir.path())
        .assert()
        .code(2);
    for text in expected {
        assert = assert.stderr(predicate::str::contains(*text));
    }
}

const HEAD: &str = "title: t\npriority: must-fix\ncategory: c\nscope: app\nwhy: w\nfix: f\n";

#[test]
fn a_malformed_rule_file_names_file_line_and_exits_2() {
    let yaml = format!("id: MY-RULE\n{HEAD}require:\n  regexx: 'x'\n");
    assert_rule_error("bad.yaml", &yaml, &["bad.yaml:9:", "regexx"]);
}

#[test]
fn a_query_that_does_not_compile_names_the_rule_and_line() {
    let yaml = format!(
        "id: MY-QUERY\n{HEAD}forbid:\n  - message: m\n    query: |\n      (call_expression\n        function: (no_such_node))\n"
    );
    assert_rule_error(
        "q.yaml",
        &yaml,
        &["q.yaml:12:", "MY-QUERY", "unknown node type"],
    );
}

#[test]
fn a_bad_regex_is_an_error_with_its_line() {
    let yaml = format!("id: MY-REGEX\n{HEAD}require:\n  regex: 'helmet\\s*('\n");
    assert_rule_error("r.yaml", &yaml, &["r.yaml:9:", "bad regex"]);
}

#[test]
fn bad_priority_and_duplicate_ids_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rule = |id: &str, prio: &str| {
        format!("id: {id}\ntitle: t\npriority: {prio}\ncategory: c\nscope: app\nwhy: w\nfix: f\nrequire:\n  regex: 'x'\n")
    };
    write(dir.path(), "a.yaml", &rule("DUP-ONE", "must-fix"));
    write(dir.path(), "b.yaml", &rule("DUP-ONE", "must-fix"));
    prodready()
        .args(["rules", "--rules"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("duplicate rule id"));
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.yaml", &rule("PRIO-ONE", "urgent"));
    prodready()
        .args(["rules", "--rules"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a.yaml:3:"))
        .stderr(predicate::str::contains("unknown priority"));
}

#[test]
fn a_user_rule_replaces_the_builtin_with_its_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "helmet.yaml",
        "id: SEC-HELMET\ntitle: Custom headers rule\npriority: post-launch\ncategory: c\nscope: http-app\nwhy: w\nfix: f\nrequire:\n  regex: 'secureHeadersOfOurOwn'\n",
    );
    prodready()
        .args(["explain", "SEC-HELMET", "--rules"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Custom headers rule"));
}

#[test]
fn a_malformed_config_names_file_line_and_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    express_app(dir.path());
    write(
        dir.path(),
        "prodready.toml",
        "fail_on = \"must-fix\"\nunknown_key = 1\n",
    );
    prodready()
        .arg("audit")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("prodready.toml:2:"))
        .stderr(predicate::str::contains("unknown_key"));
    write(
        dir.path(),
        "prodready.toml",
        "[rules]\ndisable = [\"SEC-HELMETT\"]\n",
    );
    prodready()
        .arg("audit")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("prodready.toml:2:"))
        .stderr(predicate::str::contains("unknown rule id `SEC-HELMETT`"));
}

#[test]
fn suppression_needs_a_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    express_app(dir.path());
    write(
        dir.path(),
        "prodready.toml",
        "[rules]\ndisable = [\"SEC-RATE-LIMIT\", \"QUEUE-SHUTDOWN\", \"OBS-STRUCTURED-LOGS\"]\n",
    );
    // With a reason: suppressed, counted, gate passes.
    write(
        dir.path(),
        "src/server.ts",
        "import express from 'express';\n// prodready-ignore SEC-HELMET: headers are set by the CDN\nconst app = express();\napp.get('/health', (_q, r) => r.send('ok'));\napp.listen(3000);\n",
    );
    let out = prodready()
        .arg("audit")
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["summary"]["suppressed"], 1);
    assert_eq!(
        doc["findings"][0]["suppressed"]["reason"],
        "headers are set by the CDN"
    );
    // Without a reason: nothing suppressed, and the comment is reported.
    write(
        dir.path(),
        "src/server.ts",
        "import express from 'express';\n// prodready-ignore SEC-HELMET\nconst app = express();\napp.get('/health', (_q, r) => r.send('ok'));\napp.listen(3000);\n",
    );
    prodready()
        .arg("audit")
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("has no reason"));
}

#[test]
fn hostile_files_are_skipped_with_notes_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    express_app(dir.path());
    fs::write(dir.path().join("src/binary.ts"), [0u8, 159, 146, 150, 0, 1]).expect("write");
    fs::write(dir.path().join("src/latin1.ts"), [b'/', b'/', 0xE9, b'\n']).expect("write");
    write(dir.path(), "packages/broken/package.json", "{ not json");
    write(
        dir.path(),
        "src/deep.ts",
        &format!("const x = {}1{};\n", "[".repeat(5000), "]".repeat(5000)),
    );
    write(dir.path(), "src/huge.js", &"x".repeat(3 * 1024 * 1024));
    let before = listing(dir.path());
    prodready()
        .arg("audit")
        .arg(dir.path())
        .args(["--fail-on", "never"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "src/binary.ts: skipped: binary content",
        ))
        .stdout(predicate::str::contains(
            "src/latin1.ts: skipped: not valid UTF-8",
        ))
        .stdout(predicate::str::contains(
            "packages/broken/package.json: package.json not read",
        ))
        .stdout(predicate::str::contains("src/huge.js: skipped"));
    assert_eq!(
        before,
        listing(dir.path()),
        "the audit wrote into the audited tree"
    );
}

fn listing(root: &Path) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = walk(root);
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push((
                p.display().to_string(),
                e.metadata().map(|m| m.len()).unwrap_or(0),
            ));
        }
    }
    out
}

#[test]
fn a_closed_pipe_is_not_a_panic() {
    use std::process::{Command as Std, Stdio};
    let mut child = Std::new(env!("CARGO_BIN_EXE_prodready"))
        .args(["audit", "fixtures/demo-app"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let status = child.wait().expect("wait");
    assert_ne!(status.code(), Some(101), "panicked on a closed pipe");
}

#[test]
fn rules_and_explain_are_generated_from_the_rule_files() {
    prodready()
        .arg("rules")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("SEC-RATE-LIMIT"))
        .stdout(predicate::str::contains("CFG-LOCKFILE"));
    prodready()
        .args(["explain", "sec-rate-limit"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Why it matters"))
        .stdout(predicate::str::contains("APP_GUARD"));
    prodready().args(["explain", "NOPE"]).assert().code(2);
    prodready()
        .args(["audit", "--format", "xml"])
        .assert()
        .code(2);
}

#[test]
fn test_rules_command_runs_user_fixtures() {
    prodready()
        .args(["test-rules", "fixtures"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(" 0 failed"));
}
