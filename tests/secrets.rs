//! SEC-SECRETS and SEC-ENV-COMMITTED end to end: planted secrets are found and never printed
//! in any output format; tracked vs ignored env files come from a real git index.

mod common;

use common::{prodready, write};
use std::path::Path;

/// Deterministic random-looking text from an alphabet (no placeholder words by construction).
fn noise(seed: u64, alphabet: &str, len: usize) -> String {
    let chars: Vec<char> = alphabet.chars().collect();
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            chars[((state >> 33) as usize) % chars.len()]
        })
        .collect()
}

const ALNUM: &str = "ABCDEFGHJKLMNPQRSVWXYZabcdfghjkmnpqrvwxyz23456789";
const BASE32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn audit(root: &Path, format: &str) -> String {
    let out = prodready()
        .args(["audit", root.to_str().expect("utf-8"), "--format", format])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "a secret fails the gate");
    // stdout, then a NUL, then stderr: both are checked for secrets.
    format!(
        "{}\n\u{0}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn planted_secrets_are_found_and_never_printed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let secrets = [
        format!("AKIA{}", noise(1, BASE32, 16)),
        format!("sk_live_{}", noise(2, ALNUM, 28)),
        format!("ghp_{}", noise(3, ALNUM, 36)),
        format!(
            "xoxb-{}-{}",
            noise(4, "0123456789", 12),
            noise(5, ALNUM, 24)
        ),
        format!("AIza{}", noise(6, ALNUM, 35)),
        noise(7, ALNUM, 40),                   // JWT secret literal
        noise(8, ALNUM, 12),                   // fallback literal
        noise(9, ALNUM, 32),                   // high-entropy api key in YAML
        format!("{}#9", noise(10, ALNUM, 10)), // password in a compose file
        noise(11, ALNUM, 64),                  // PEM body line
    ];
    write(
        root,
        "package.json",
        r#"{"name":"api","dependencies":{"express":"4","jsonwebtoken":"9"}}"#,
    );
    write(
        root,
        "src/server.ts",
        &format!(
            "import express from 'express';\nimport jwt from 'jsonwebtoken';\n\
             const app = express();\n\
             const aws = '{}';\n\
             const stripe = '{}';\n\
             const gh = \"{}\";\n\
             const slack = `{}`;\n\
             const maps = {{ key: '{}' }};\n\
             export const token = jwt.sign({{ sub: 1 }}, '{}');\n\
             const secret = process.env.SESSION_SECRET || '{}';\n\
             app.get('/', (_q, r) => r.send([aws, stripe, gh, slack, maps, secret]));\n\
             app.listen(3000);\n",
            secrets[0], secrets[1], secrets[2], secrets[3], secrets[4], secrets[5], secrets[6]
        ),
    );
    write(
        root,
        "deploy/values.yaml",
        &format!("mailer:\n  apiKey: {}\n", secrets[7]),
    );
    write(
        root,
        "docker-compose.yml",
        &format!(
            "services:\n  api:\n    environment:\n      SMTP_PASSWORD: {}\n",
            secrets[8]
        ),
    );
    write(
        root,
        "deploy/key.pem",
        &format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n{}\n-----END PRIVATE KEY-----\n",
            secrets[9],
            noise(12, ALNUM, 64)
        ),
    );

    let json = audit(root, "json");
    let table = audit(root, "table");
    for (i, s) in secrets.iter().enumerate() {
        assert!(!json.contains(s.as_str()), "secret {i} printed in JSON");
        assert!(
            !table.contains(s.as_str()),
            "secret {i} printed in the table"
        );
        // Not even a long piece of it.
        let piece: String = s.chars().skip(4).take(8).collect();
        assert!(!json.contains(&piece), "part of secret {i} printed in JSON");
    }
    let stdout = json.split_once("\n\u{0}").map_or(json.as_str(), |(o, _)| o);
    let doc: serde_json::Value = serde_json::from_str(stdout).expect("valid JSON");
    let found: Vec<String> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "SEC-SECRETS")
        .map(|f| format!("{}:{}", f["location"]["path"], f["location"]["line"]))
        .collect();
    assert_eq!(
        found.len(),
        10,
        "every planted secret is one finding: {found:?}"
    );
}

fn git(root: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

fn env_findings(root: &Path) -> Vec<(String, String, String)> {
    let out = prodready()
        .args(["audit", root.to_str().expect("utf-8"), "--format", "json"])
        .output()
        .expect("run");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "SEC-ENV-COMMITTED")
        .map(|f| {
            (
                f["location"]["path"].as_str().unwrap_or("").to_string(),
                f["confidence"].as_str().unwrap_or("").to_string(),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn env_app(root: &Path) {
    write(
        root,
        "package.json",
        r#"{"name":"api","dependencies":{"express":"4"}}"#,
    );
    write(
        root,
        "src/server.ts",
        "import express from 'express';\nexpress().listen(3000);\n",
    );
    write(root, ".env.example", "DATABASE_URL=\n");
}

#[test]
fn env_files_tracked_in_git_are_reported_ignored_ones_are_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    env_app(root);
    write(
        root,
        ".gitignore",
        "node_modules\n.env\n.env.*\n!.env.example\n",
    );
    write(root, ".env", "DATABASE_URL=postgres://localhost/app\n");
    git(root, &["init", "-q"]);
    git(root, &["add", "."]);
    assert_eq!(
        env_findings(root),
        vec![],
        "an ignored, untracked .env is fine"
    );

    write(root, ".env.production", "API_URL=https://api.internal\n");
    git(root, &["add", "-f", ".env.production"]);
    let found = env_findings(root);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, ".env.production");
    assert_eq!(found[0].1, "high");
    assert!(found[0].2.contains("tracked in git"), "{}", found[0].2);
}

#[test]
fn a_gitignore_that_misses_env_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    env_app(root);
    write(root, ".gitignore", "node_modules\ndist\n");
    git(root, &["init", "-q"]);
    let found = env_findings(root);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, ".gitignore");
    assert!(
        found[0].2.contains("does not ignore `.env`"),
        "{}",
        found[0].2
    );
}

#[test]
fn outside_git_a_present_env_file_is_reported_at_medium_confidence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    env_app(root);
    write(root, ".gitignore", ".env.local\n");
    write(root, ".env", "DATABASE_URL=postgres://localhost/app\n");
    let found = env_findings(root);
    let env: Vec<_> = found.iter().filter(|f| f.0 == ".env").collect();
    assert_eq!(env.len(), 1, "{found:?}");
    assert_eq!(env[0].1, "medium");
    assert!(env[0].2.contains("cannot be told"), "{}", env[0].2);
}
