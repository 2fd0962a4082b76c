//! Secret literals in a file's text: known credential formats, high-entropy values assigned
//! to secret-like names, JWT signing secrets written as literals, and literal fallbacks of
//! secret environment variables. The raw value stays in memory only so other findings can be
//! redacted; everything printed goes through [`redact`].
//!
//! One case-sensitive Aho-Corasick pass (SIMD Teddy) finds candidate positions; each is then
//! checked by hand, so files without a candidate cost one scan.

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;
use std::sync::LazyLock;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    pub line: usize,
    pub column: usize,
    /// What was found, e.g. "AWS access key id".
    pub kind: String,
    /// The raw value: never printed, only used to redact.
    pub value: String,
    /// The line with the value redacted.
    pub evidence: String,
}

/// The only form in which a secret is ever shown: its first 4 characters and its length.
/// A short value shows fewer characters, so that no value is ever shown whole.
pub fn redact(value: &str) -> String {
    let len = value.chars().count();
    let head: String = value.chars().take(4.min(len / 3)).collect();
    format!("{head}…[redacted, {len} chars]")
}

/// Known credential formats: (literal prefix, regex from that prefix, name).
const FORMATS: &[(&str, &str, &str)] = &[
    ("AKIA", r"^AKIA[A-Z2-7]{16}\b", "AWS access key id"),
    (
        "k_live_",
        r"^[sr]k_live_[0-9A-Za-z]{20,}",
        "Stripe live key",
    ),
    (
        "ghp_",
        r"^ghp_[A-Za-z0-9]{36,}",
        "GitHub personal access token",
    ),
    (
        "github_pat_",
        r"^github_pat_[A-Za-z0-9_]{60,}",
        "GitHub fine-grained token",
    ),
    ("xoxb-", r"^xoxb-[0-9A-Za-z-]{20,}", "Slack bot token"),
    (
        "hooks.slack.com/",
        r"^hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,}",
        "Slack webhook URL",
    ),
    ("AIza", r"^AIza[0-9A-Za-z_-]{35}", "Google API key"),
    ("npm_", r"^npm_[A-Za-z0-9]{36}\b", "npm access token"),
    ("k-proj-", r"^sk-proj-[A-Za-z0-9_-]{40,}", "OpenAI API key"),
    (
        "-----BEGIN ",
        r"^-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----",
        "PEM private key",
    ),
];

/// Names whose value is a secret, as written in code, JSON, YAML and env files. Suffixes
/// and short stems (`ecret`, `oken`, `pass`): each hit is widened to the whole identifier.
/// Every literal is 4+ bytes, which keeps the SIMD searcher on its fastest fingerprint.
const NAME_WORDS: &[&str] = &[
    "ecret",
    "ECRET",
    "pass",
    "Pass",
    "PASS",
    "oken",
    "OKEN",
    "piKey",
    "pi_key",
    "PI_KEY",
    "rivateKey",
    "RIVATE_KEY",
];

/// `jwt.sign(payload, 'secret')` (`jwt.verify` is given the same secret).
const CALL_WORDS: &[&str] = &[".sign("];

/// `scheme://user:password@host`: the scheme's last letter and `://`.
const URL_WORDS: &[&str] = &["s://", "l://", "b://", "v://"];

/// Words of request-signature verification, for the webhook rule: this same pass tells
/// whether the file may verify one (see `routes::verifies_signature`).
const VERIFY_WORDS: &[&str] = &[
    "constructEvent",
    "timingSafeEqual",
    "ebhook",
    "ignature",
    "Hmac",
];

#[derive(Clone, Copy)]
enum Candidate {
    Format(usize),
    Name,
    Call,
    Url,
    Verify,
}

struct Detector {
    automaton: AhoCorasick,
    candidates: Vec<Candidate>,
    formats: Vec<Regex>,
}

static DETECTOR: LazyLock<Detector> = LazyLock::new(|| {
    let mut literals: Vec<&str> = Vec::new();
    let mut candidates = Vec::new();
    for (i, (lit, _, _)) in FORMATS.iter().enumerate() {
        literals.push(lit);
        candidates.push(Candidate::Format(i));
    }
    let groups = [
        (NAME_WORDS, Candidate::Name),
        (CALL_WORDS, Candidate::Call),
        (URL_WORDS, Candidate::Url),
        (VERIFY_WORDS, Candidate::Verify),
    ];
    for (words, candidate) in groups {
        for w in words {
            literals.push(w);
            candidates.push(candidate);
        }
    }
    Detector {
        automaton: AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&literals)
            .expect("static literals"),
        candidates,
        formats: FORMATS
            .iter()
            .map(|(_, re, _)| Regex::new(re).expect("static regex"))
            .collect(),
    }
});

static URL_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^://([A-Za-z0-9._%-]{1,64}):([^\s/:@'`\x22]{1,128})@[A-Za-z0-9.-]")
        .expect("static regex")
});

/// What a file's folder says: None when the secret scan skips every file in it, else whether
/// it is a GitHub workflow folder. Files arrive folder by folder, so each walker thread
/// remembers its last answer.
fn folder_verdict(dir: &str) -> Option<bool> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(String, Option<bool>)>> =
            const { std::cell::RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            Some((seen, verdict)) if seen == dir => *verdict,
            _ => {
                let verdict = judge_folder(dir);
                *last = Some((dir.to_string(), verdict));
                verdict
            }
        }
    })
}

fn judge_folder(dir: &str) -> Option<bool> {
    let lower = format!("{}/", dir.to_ascii_lowercase());
    let skipped_dirs = [
        "fixtures",
        "fixture",
        "testdata",
        "test-data",
        "mocks",
        "__mocks__",
        "examples",
        "example",
        "samples",
        "sample",
        "seeds",
        "seeders",
        "stories",
        "locales",
        "locale",
        "i18n",
        "intl",
        "docs",
        "testing",
        "translations",
        "lang",
    ];
    // A folder named for tests in any spelling: `integration-tests`, `test_helpers`, `e2e`.
    let test_dir = |d: &str| {
        d.split(['-', '_', '.'])
            .any(|w| matches!(w, "test" | "tests" | "testing" | "e2e" | "spec" | "specs"))
    };
    if lower
        .split('/')
        .any(|d| skipped_dirs.contains(&d) || test_dir(d))
    {
        return None;
    }
    Some(lower.starts_with(".github/workflows/") || lower.contains("/.github/workflows/"))
}

/// Does the secret scan look at this file at all? Tests, fixtures, examples, templates,
/// seeds, lockfiles and docs are skipped; source, config, YAML, Docker, env files are read.
pub fn eligible(rel: &str) -> bool {
    if crate::workspace::scan::is_test_path(rel) {
        return false;
    }
    let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
    let Some(in_workflows) = folder_verdict(dir) else {
        return false;
    };
    let name = name.to_ascii_lowercase();
    let name = name.as_str();
    let template_markers = [".example", ".sample", ".template", ".dist", ".tmpl", ".tpl"];
    if template_markers.iter().any(|m| name.contains(m))
        || name.starts_with("example.")
        || name.starts_with("sample.")
        || name.starts_with("seed")
    {
        return false;
    }
    let lockfiles = [
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
    ];
    if lockfiles.contains(&name) || name.ends_with(".d.ts") || name.ends_with(".map") {
        return false;
    }
    // Nx Cloud tokens in nx.json are read-only by design; test env files hold test values.
    let test_env = is_env_file(name)
        && name
            .split(['.', '-', '_'])
            .any(|w| matches!(w, "test" | "testing" | "e2e" | "ci" | "spec"));
    if name == "nx.json" || test_env {
        return false;
    }
    // Test workflows start local services with their published dev defaults (the QStash dev
    // token, a test database password); scripts that simulate or fake a payload carry sample
    // data. Neither holds a production secret.
    let name_words: Vec<&str> = name.split(['.', '-', '_']).collect();
    let sample_data = name_words
        .iter()
        .any(|w| matches!(*w, "simulate" | "mock" | "fake" | "dummy"));
    let test_workflow = in_workflows
        && name_words
            .iter()
            .any(|w| matches!(*w, "test" | "tests" | "e2e" | "playwright" | "cypress"));
    if sample_data || test_workflow {
        return false;
    }
    if is_env_file(name)
        || name.starts_with("dockerfile")
        || name.ends_with(".dockerfile")
        || name == ".npmrc"
    {
        return true;
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    matches!(
        ext,
        "ts" | "tsx"
            | "mts"
            | "cts"
            | "js"
            | "jsx"
            | "mjs"
            | "cjs"
            | "json"
            | "yaml"
            | "yml"
            | "toml"
            | "ini"
            | "cfg"
            | "conf"
            | "properties"
            | "env"
            | "sh"
            | "bash"
            | "tf"
            | "tfvars"
            | "pem"
            | "key"
    )
}

/// `.env`, `.env.production`, `production.env`: an env file by name (lower-case).
pub fn is_env_file(name: &str) -> bool {
    name == ".env" || name.starts_with(".env.") || name.ends_with(".env")
}

fn is_code(rel: &str) -> bool {
    let ext = rel.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    matches!(
        ext,
        "ts" | "tsx" | "mts" | "cts" | "js" | "jsx" | "mjs" | "cjs"
    )
}

/// Encrypted material is not a secret: SealedSecrets and SOPS files.
fn is_encrypted(text: &str) -> bool {
    (text.contains("kind: SealedSecret") && text.contains("encryptedData"))
        || (text.contains("sops:") && text.contains("ENC[AES256_GCM"))
        || text.contains("\"sops\": {")
}

/// What one pass over a file found: its secret literals, and whether it names a
/// signature-verification word.
#[derive(Debug, Default)]
pub struct TextScan {
    pub secrets: Vec<Secret>,
    pub verify_words: bool,
}

/// Every secret literal in one file.
pub fn scan(rel: &str, text: &str) -> Vec<Secret> {
    scan_text(rel, text).secrets
}

/// Secret literals and verification words, in one pass.
pub fn scan_text(rel: &str, text: &str) -> TextScan {
    let detector = &*DETECTOR;
    let mut found: Vec<(usize, String, String)> = Vec::new(); // (offset, kind, value)
    let mut out = TextScan::default();
    let mut hits = detector.automaton.find_iter(text).peekable();
    if hits.peek().is_none() || is_encrypted(text) {
        return out;
    }
    let code = is_code(rel);
    let mentions_jwt = std::cell::OnceCell::new();
    for m in hits {
        let at = m.start();
        let hit = match detector.candidates[m.pattern().as_usize()] {
            Candidate::Format(i) => format_at(text, at, i, detector),
            Candidate::Name => named_value(text, at, m.end(), code, &mentions_jwt),
            Candidate::Call => signing_literal(text, at, m.end()),
            Candidate::Url => url_password(text, at + 1),
            Candidate::Verify => {
                out.verify_words = true;
                None
            }
        };
        if let Some((offset, kind, value)) = hit {
            if !found.iter().any(|(_, _, v)| *v == value) {
                found.push((offset, kind, value));
            }
        }
    }
    let starts = super::text::line_starts(text);
    out.secrets = found
        .into_iter()
        .map(|(offset, kind, value)| {
            let line = super::text::line_of(&starts, offset);
            let line_start = starts[line - 1];
            let line_text = text[line_start..].lines().next().unwrap_or("");
            Secret {
                line,
                column: offset - line_start + 1,
                evidence: redacted_line(line_text, &value),
                kind,
                value,
            }
        })
        .collect();
    out
}

/// The line with the value (or, for a multi-line value, its first line) redacted, capped.
fn redacted_line(line: &str, value: &str) -> String {
    let first = value.lines().next().unwrap_or(value);
    let shown = if first.is_empty() || !line.contains(first) {
        line.to_string()
    } else {
        line.replace(first, &redact(value))
    };
    let trimmed = shown.trim();
    if trimmed.chars().count() > 140 {
        let cut: String = trimmed.chars().take(140).collect();
        format!("{cut}…")
    } else {
        trimmed.to_string()
    }
}

type Hit = (usize, String, String);

fn format_at(text: &str, at: usize, index: usize, detector: &Detector) -> Option<Hit> {
    let (literal, _, kind) = FORMATS[index];
    // `k_live_` / `k-proj-` are literals from inside the token (`sk_live_`): its first
    // letter is the byte before.
    let at = if literal.starts_with('k') {
        let first = at.checked_sub(1)?;
        if !matches!(text.as_bytes()[first], b's' | b'r') {
            return None; // also keeps `at` on a character boundary
        }
        first
    } else {
        at
    };
    // A token starts at a word boundary (not inside a longer identifier or base64 blob).
    let before = text[..at].chars().next_back();
    if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && !kind.starts_with("Slack webhook")
    {
        return None;
    }
    let m = detector.formats[index].find(&text[at..])?;
    let mut value = m.as_str().to_string();
    if kind == "PEM private key" {
        value = pem_block(&text[at..])?;
    }
    if is_placeholder(&value) {
        return None;
    }
    // A Firebase web config carries a Google API key that is public by design.
    if kind == "Google API key"
        && line_around(text, at)
            .to_ascii_lowercase()
            .contains("firebase")
    {
        return None;
    }
    Some((at, kind.to_string(), value))
}

/// A PEM private key with a real body (not a header used to build or check a PEM in code).
fn pem_block(from: &str) -> Option<String> {
    let end = from.find("-----END")?;
    let tail = &from[end..];
    let close = tail[8..].find("-----").map(|i| end + 8 + i + 5)?;
    let block = &from[..close];
    let body = block.split("-----").nth(2).unwrap_or("");
    let base64 = body
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '/')
        .count();
    (base64 >= 64 && !is_placeholder(body)).then(|| block.to_string())
}

fn line_around(text: &str, at: usize) -> &str {
    let start = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let end = text[at..].find('\n').map(|i| at + i).unwrap_or(text.len());
    &text[start..end]
}

/// A value assigned to a secret-like name: `jwtSecret = '...'`, `"apiKey": "..."`,
/// `DB_PASSWORD=...`, or a literal fallback of a secret env var.
fn named_value(
    text: &str,
    at: usize,
    end: usize,
    code: bool,
    mentions_jwt: &std::cell::OnceCell<bool>,
) -> Option<Hit> {
    let bytes = text.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let mut l = at;
    while l > 0 && is_ident(bytes[l - 1]) {
        l -= 1;
    }
    let mut r = end;
    while r < bytes.len() && is_ident(bytes[r]) {
        r += 1;
    }
    let name = &text[l..r];
    let words = super::text::words(name);
    let class = secret_class(&words)?;
    let before = text[..l].trim_end_matches(['"', '\'', '`']);
    let env_read = before.ends_with("process.env.") || before.ends_with("env.");
    let config_get = before.trim_end().ends_with("get(")
        || before.trim_end().ends_with("getOrThrow(")
        || before.trim_end().ends_with(">(");
    let mut rest = &text[r..];
    rest = rest.strip_prefix(['"', '\'', '`']).unwrap_or(rest);
    if env_read || config_get {
        return fallback(text, rest, name, config_get);
    }
    let rest = rest.trim_start_matches([' ', '\t']);
    let rest = if let Some(r) = rest.strip_prefix(':') {
        r
    } else if let Some(r) = rest.strip_prefix('=') {
        if r.starts_with(['=', '>']) {
            return None;
        }
        r
    } else {
        return None;
    };
    let rest = rest.trim_start_matches([' ', '\t']);
    let value = match literal(rest) {
        Some(v) => v,
        None if !code => unquoted(rest)?,
        None => return None,
    };
    let offset = text.len() - rest.len();
    if is_reference(value) || value.contains("${") {
        return None;
    }
    // The secret a library signs with (`secret:` of JwtModule.register, passport-jwt,
    // express-session): any literal there is the production secret, however weak. Other
    // secret-like names must hold a value that looks like a real credential.
    let signing_key = matches!(name, "secret" | "secretOrKey" | "secretOrPrivateKey");
    if signing_key && code && !value.trim().is_empty() && !value.eq_ignore_ascii_case(name) {
        let jwt = *mentions_jwt
            .get_or_init(|| text.contains("jwt") || text.contains("Jwt") || text.contains("JWT"));
        let what = if jwt {
            "JWT signing secret"
        } else {
            "signing secret"
        };
        return Some((
            offset,
            format!("{what} written as a literal (`{name}`)"),
            value.to_string(),
        ));
    }
    if is_placeholder(value) || !strong_enough(value, class) {
        return None;
    }
    Some((
        offset,
        format!("{} literal assigned to `{name}`", class.label()),
        value.to_string(),
    ))
}

/// `process.env.JWT_SECRET || 'dev-secret'`, `config.get('JWT_SECRET', 'dev-secret')`:
/// whatever the literal, the app runs with a known secret when the variable is unset.
fn fallback(text: &str, rest: &str, name: &str, config_get: bool) -> Option<Hit> {
    let mut rest = rest.trim_start();
    if config_get {
        if let Some(r) = rest.strip_prefix(',') {
            let r = r.trim_start();
            let value = literal(r)?;
            return fallback_hit(text, r, name, value);
        }
        rest = rest.strip_prefix(')')?.trim_start();
    }
    let r = rest
        .strip_prefix("||")
        .or_else(|| rest.strip_prefix("??"))?
        .trim_start();
    let value = literal(r)?;
    fallback_hit(text, r, name, value)
}

fn fallback_hit(text: &str, at: &str, name: &str, value: &str) -> Option<Hit> {
    if value.trim().is_empty() || value.contains("${") {
        return None;
    }
    Some((
        text.len() - at.len(),
        format!("`{name}` falls back to a literal when the variable is unset"),
        value.to_string(),
    ))
}

/// `jwt.sign(payload, 'secret')` / `jwt.verify(token, 'secret')`: the second argument.
fn signing_literal(text: &str, at: usize, end: usize) -> Option<Hit> {
    let receiver = text[..at]
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    if !matches!(receiver, "jwt" | "jsonwebtoken" | "JWT" | "jose") {
        return None;
    }
    let args = &text[end..];
    let comma = top_level_comma(args)?;
    let rest = args[comma + 1..].trim_start();
    let value = literal(rest)?;
    if value.is_empty() || value.contains("${") {
        return None;
    }
    Some((
        text.len() - rest.len(),
        "JWT signing secret written as a literal (second argument)".to_string(),
        value.to_string(),
    ))
}

/// The byte offset of the first comma at depth 0 of an argument list, if before its `)`.
fn top_level_comma(args: &str) -> Option<usize> {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, c) in args.char_indices().take(2000) {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                '(' | '{' | '[' => depth += 1,
                ')' | '}' | ']' if depth == 0 => return None,
                ')' | '}' | ']' => depth -= 1,
                ',' if depth == 0 => return Some(i),
                _ => {}
            },
        }
    }
    None
}

/// `postgres://user:S3cr3t@host`: a password inside a connection URL.
fn url_password(text: &str, at: usize) -> Option<Hit> {
    let caps = URL_CREDENTIALS.captures(&text[at..])?;
    let password = caps.get(2)?;
    let value = password.as_str();
    if is_placeholder(value) || is_reference(value) || value.starts_with('$') {
        return None;
    }
    if !strong_enough(value, Class::Password) {
        return None;
    }
    Some((
        at + password.start(),
        "password inside a connection URL".to_string(),
        value.to_string(),
    ))
}

/// A quoted literal at the start of `s` (single line, no interpolation).
fn literal(s: &str) -> Option<&str> {
    let quote = s.chars().next().filter(|c| matches!(c, '\'' | '"' | '`'))?;
    let body = &s[1..];
    let close = body.find(quote)?;
    let value = &body[..close];
    (!value.contains('\n')).then_some(value)
}

/// An unquoted value in YAML, env and Dockerfile syntax, up to a space or a comment.
fn unquoted(s: &str) -> Option<&str> {
    let end = s
        .find(|c: char| c.is_whitespace() || c == ',')
        .unwrap_or(s.len());
    let value = s[..end].trim_end_matches([';', ',']);
    (!value.is_empty() && !value.starts_with(['|', '>', '&', '*', '{', '[', '!'])).then_some(value)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Password,
    Key,
}

impl Class {
    fn label(self) -> &'static str {
        match self {
            Class::Password => "password",
            Class::Key => "secret",
        }
    }
}

/// Is this name one whose value is a secret? The secret word must end the name
/// (`jwtSecret`, `DB_PASSWORD`, `stripeApiKey`), so `tokenExpiry`, `passwordMinLength` and
/// `secretName` are not; public keys, paging and injection tokens are not secrets.
fn secret_class(words: &[String]) -> Option<Class> {
    let last = words.last()?.as_str();
    let prev = words.len().checked_sub(2).map(|i| words[i].as_str());
    let not_secret = [
        "public",
        "publishable",
        "next",
        "page",
        "cursor",
        "continuation",
        "csrf",
        "xsrf",
        "cancellation",
        "injection",
        "lexer",
        "input",
        "reset",
        "verification",
        "invite",
        "confirm",
        "confirmation",
        "old",
        "new",
        "current",
        "repeat",
        "hashed",
        "encrypted",
        "test",
        "testing",
        "mock",
        "fake",
        "dummy",
        "example",
        "sample",
        "demo",
        "placeholder",
    ];
    if words.iter().any(|w| not_secret.contains(&w.as_str())) {
        return None;
    }
    match last {
        "password" | "passwd" | "pwd" | "pass" | "passphrase" => Some(Class::Password),
        "secret" | "token" | "apikey" => Some(Class::Key),
        "key"
            if matches!(
                prev,
                Some(
                    "api"
                        | "access"
                        | "private"
                        | "secret"
                        | "signing"
                        | "encryption"
                        | "master"
                        | "client"
                        | "service"
                )
            ) =>
        {
            Some(Class::Key)
        }
        _ => None,
    }
}

/// A name, not a value: `JWT_SECRET`, `process.env.X`, `$VAR`, `{{ .Values.x }}`.
fn is_reference(value: &str) -> bool {
    let v = value.trim();
    v.starts_with('$')
        || v.starts_with("{{")
        || v.starts_with("process.env")
        || v.starts_with("ENC[")
        || v.starts_with("vault:")
        || v.starts_with("arn:")
        || (v.len() > 1
            && v.starts_with(|c: char| c.is_ascii_uppercase())
            && (v.contains('_') || !v.chars().any(|c| c.is_ascii_digit()))
            && v.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '.'))
}

/// Placeholders people write where a secret goes.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    if v.is_empty() || v.contains('<') || v.contains("${") || v.contains("{{") {
        return true;
    }
    let markers = [
        "changeme",
        "change-me",
        "change_me",
        "changethis",
        "xxx",
        "your",
        "example",
        "placeholder",
        "dummy",
        "sample",
        "fake",
        "redacted",
        "todo",
        "replace",
        "insert",
        "****",
        "...",
        "…",
        "here",
        "test",
        "mock",
        "secret",
        "password",
    ];
    if markers.iter().any(|m| v.contains(m)) {
        return true;
    }
    let first = v.chars().next().unwrap_or('x');
    v.len() >= 8 && v.chars().all(|c| c == first)
}

/// Random enough to be a real credential, not a word, a path or a setting.
fn strong_enough(value: &str, class: Class) -> bool {
    let v = value.trim();
    if v.contains(' ') || v.starts_with('/') || v.starts_with("./") || v.starts_with("http") {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    if [".pem", ".key", ".json", ".crt", ".txt"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        return false;
    }
    // Public client keys: PostHog project keys, Stripe publishable keys.
    if ["phc_", "pk_live_", "pk_test_", "pub_"]
        .iter()
        .any(|p| v.starts_with(p))
    {
        return false;
    }
    let digits = v.chars().any(|c| c.is_ascii_digit());
    let symbols = v.chars().any(|c| c.is_ascii_punctuation());
    let classes = [
        v.chars().any(|c| c.is_ascii_lowercase()),
        v.chars().any(|c| c.is_ascii_uppercase()),
        digits,
        symbols,
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let len = v.chars().count();
    let entropy = shannon(v);
    // A value made of letters and separators only is a word, a label or an identifier
    // ('Contraseña', 'auth/invalid_access_token', 'constant.language'): random tokens of
    // this length carry digits.
    match class {
        Class::Password => len >= 8 && (digits || symbols) && classes >= 2 && entropy >= 2.5,
        Class::Key => len >= 16 && digits && classes >= 2 && entropy >= 3.3,
    }
}

/// Shannon entropy in bits per character.
fn shannon(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(rel: &str, text: &str) -> Vec<String> {
        scan(rel, text).into_iter().map(|s| s.kind).collect()
    }

    #[test]
    fn finds_known_formats_and_redacts_them() {
        let key = "AKIA2E7A6F3B5CXD7Q4Z";
        let found = scan("src/aws.ts", &format!("const id = '{key}';\n"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, "AWS access key id");
        assert_eq!(found[0].line, 1);
        assert!(!found[0].evidence.contains(key));
        assert!(found[0].evidence.contains("AKIA…[redacted, 20 chars]"));
    }

    #[test]
    fn secret_names_need_a_strong_value() {
        assert_eq!(
            kinds(
                "src/a.ts",
                "const jwtSecretKey = 'f8Kq2LxZ9pW4mN7vR3tY6uB1';"
            ),
            vec!["secret literal assigned to `jwtSecretKey`"]
        );
        assert!(kinds("src/a.ts", "const tokenExpiry = '15m';").is_empty());
        assert!(kinds("src/a.ts", "export const AUTH_TOKEN = 'AUTH_TOKEN';").is_empty());
        assert!(kinds("src/a.ts", "password: string;").is_empty());
        assert!(kinds("src/a.ts", "const label = { password: 'Password' };").is_empty());
        assert_eq!(
            kinds(".env", "DB_PASSWORD=Xk9#mP2vL7qR\n"),
            vec!["password literal assigned to `DB_PASSWORD`"]
        );
        assert!(kinds(".env", "DB_PASSWORD=changeme\n").is_empty());
    }

    #[test]
    fn jwt_literals_and_fallbacks_are_reported_whatever_their_strength() {
        let src = "JwtModule.register({ secret: 'mysecret', signOptions: {} })";
        assert_eq!(kinds("src/auth.module.ts", src).len(), 1);
        let src = "const s = process.env.JWT_SECRET || 'dev';";
        assert_eq!(
            kinds("src/a.ts", src),
            vec!["`JWT_SECRET` falls back to a literal when the variable is unset"]
        );
        let src = "config.get<string>('JWT_SECRET', 'dev-secret')";
        assert_eq!(kinds("src/a.ts", src).len(), 1);
        let src = "jwt.sign({ sub: user.id }, 'hardcoded', { expiresIn: '1h' })";
        assert_eq!(kinds("src/a.ts", src).len(), 1);
        assert!(kinds("src/a.ts", "jwt.sign(payload, this.secret)").is_empty());
    }

    #[test]
    fn skips_encrypted_material_and_templates() {
        let sealed = "kind: SealedSecret\nspec:\n  encryptedData:\n    password: AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq\n";
        assert!(scan("k8s/secret.yaml", sealed).is_empty());
        let sops = "password: ENC[AES256_GCM,data:abc,iv:def]\nsops:\n  mac: x\n";
        assert!(scan("secrets.yaml", sops).is_empty());
        assert!(!eligible(".env.example"));
        assert!(!eligible("test/fixtures/keys.ts"));
        assert!(eligible("deploy/docker-compose.yml"));
        assert!(!eligible(".github/workflows/playwright.yaml"));
        assert!(eligible(".github/workflows/deploy.yaml"));
        assert!(!eligible(
            "apps/web/scripts/dev/simulate-shopify-webhook.ts"
        ));
        assert!(eligible(".env.production"));
    }
}
