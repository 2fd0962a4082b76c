//! Facts read from a file's text with regexes: no parse needed, so they are cheap enough to
//! compute for every source file.

use regex::Regex;
use std::sync::LazyLock;

static ENV_DOT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\bprocess\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*['"`]([^'"`\]]+)['"`]\s*\])"#)
        .expect("static regex")
});
static ENV_DESTRUCTURE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{([^{}]*)\}\s*=\s*process\.env\b").expect("static regex"));
static CONFIG_GET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\b[cC]onfig(?:Service)?\.(?:get|getOrThrow)\s*(?:<[^>()]*>)?\(\s*['"]([A-Z][A-Z0-9_]+)['"]"#)
        .expect("static regex")
});
static ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?P<nest>\bNestFactory\s*\.\s*create\s*(?:<[^>()]*>)?\s*\()",
        r"|(?P<ctx>\bNestFactory\s*\.\s*(?:createApplicationContext|createMicroservice)\b)",
        r"|(?P<http>\bexpress\s*\(\s*\)|\b[fF]astify\s*\(\s*[{)]|\bnew\s+(?:Koa|Hono)\s*(?:<[^>()]*>)?\s*\(|\bhttps?\.createServer\s*\(|\bcreate(?:Express|Koa)Server\s*\()",
        r"|(?P<worker>\bnew\s+Worker\s*(?:<[^>()]*>)?\s*\()",
        r"|(?P<listen>\.listen\s*\()",
    ))
    .expect("static regex")
});
static SUPPRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"prodready-ignore\s+([A-Z][A-Z0-9-]*(?:\s*,\s*[A-Z][A-Z0-9-]*)*)[ \t]*(?::[ \t]*([^\n]*))?")
        .expect("static regex")
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EntryKind {
    /// `NestFactory.create(...)`: a Nest HTTP application.
    NestHttp,
    /// `NestFactory.createApplicationContext / createMicroservice`: no HTTP server.
    NestContext,
    /// `express()`, `fastify()`, `new Hono()`, `http.createServer()`.
    Http,
    /// `new Worker(...)` from bullmq.
    Worker,
    /// `.listen(`: starts a server created elsewhere.
    Listen,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryMarker {
    pub kind: EntryKind,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressComment {
    pub line: usize,
    pub rules: Vec<String>,
    pub reason: String,
}

/// 1-based line of a byte offset, given the offsets of line starts.
pub fn line_of(line_starts: &[usize], offset: usize) -> usize {
    line_starts.partition_point(|s| *s <= offset)
}

pub fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
        .collect()
}

/// Module specifiers that name files of the tree: relative ones (`./x`, `../x`) and the
/// path aliases TypeScript projects set up for their own folders (`@/lib/x`, `~/lib/x`, and
/// `src/x` under `baseUrl`), of `import … from`, `import '…'`, `require('…')` and
/// `import('…')`. A hand-written scan: memchr finds the quotes far faster than a regex with
/// captures, and few quotes open a local specifier.
pub fn local_imports(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for pos in memchr::memchr2_iter(b'\'', b'"', bytes) {
        let start = pos + 1;
        let rest = &bytes[start..];
        let local = match rest.first() {
            Some(b'.') => true,
            Some(b'@' | b'~') => rest.get(1) == Some(&b'/'),
            Some(b's') => rest.starts_with(b"src/"),
            _ => false,
        };
        if !local {
            continue;
        }
        let Some(len) = memchr::memchr(bytes[pos], rest) else {
            continue;
        };
        let spec = &text[start..start + len];
        let wanted = !spec.starts_with('.')
            || spec == "."
            || spec == ".."
            || spec.starts_with("./")
            || spec.starts_with("../");
        if wanted && !spec.contains('\n') && follows_import_keyword(&text[..pos]) {
            out.push(spec.to_string());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Does the text before a quote end with `from`, `import`, `require(` or `import(`?
fn follows_import_keyword(before: &str) -> bool {
    let before = before.trim_end();
    let word_end = |b: &str, word: &str| {
        b.strip_suffix(word).is_some_and(|rest| {
            !rest.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$' || c == '.')
        })
    };
    match before.strip_suffix('(') {
        Some(call) => {
            let call = call.trim_end();
            word_end(call, "require") || word_end(call, "import")
        }
        None => word_end(before, "from") || word_end(before, "import"),
    }
}

/// Is this offset on a comment line (`//`, or a JSDoc / block line starting with `*`)?
fn in_comment(text: &str, at: usize) -> bool {
    let line_start = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let before = text[line_start..at].trim_start();
    before.starts_with("//") || before.starts_with('*') || before.starts_with("/*")
}

/// `= value` (not `==` / `===`) right after an expression.
fn is_assignment(after: &str) -> bool {
    let rest = after.trim_start();
    rest.starts_with('=') && !rest.starts_with("==") && !rest.starts_with("=>")
}

pub fn env_vars(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    if text.contains("process.env") {
        for c in ENV_DOT.captures_iter(text) {
            let whole = c.get(0).expect("match");
            if in_comment(text, whole.start()) || is_assignment(&text[whole.end()..]) {
                continue; // documentation, or a write (`process.env.X = 'y'`), not a read
            }
            if let Some(m) = c.get(1).or_else(|| c.get(2)) {
                out.push(m.as_str().to_string());
            }
        }
        for c in ENV_DESTRUCTURE.captures_iter(text) {
            for part in c[1].split(',') {
                let name = part.split([':', '=']).next().unwrap_or("").trim();
                if !name.is_empty() && !name.starts_with("...") && is_ident(name) {
                    out.push(name.to_string());
                }
            }
        }
    }
    if text.contains("onfig") {
        out.extend(CONFIG_GET.captures_iter(text).map(|c| c[1].to_string()));
    }
    out.sort();
    out.dedup();
    out
}

fn is_ident(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub fn entry_markers(text: &str, starts: &[usize]) -> Vec<EntryMarker> {
    let mentions_bullmq =
        text.contains("bullmq") || text.contains("'bull'") || text.contains("\"bull\"");
    let mut out = Vec::new();
    for c in ENTRY.captures_iter(text) {
        let (kind, m) = if let Some(m) = c.name("nest") {
            (EntryKind::NestHttp, m)
        } else if let Some(m) = c.name("ctx") {
            (EntryKind::NestContext, m)
        } else if let Some(m) = c.name("http") {
            (EntryKind::Http, m)
        } else if let Some(m) = c.name("worker") {
            if !mentions_bullmq {
                continue;
            }
            (EntryKind::Worker, m)
        } else if let Some(m) = c.name("listen") {
            (EntryKind::Listen, m)
        } else {
            continue;
        };
        if is_in_comment(text, m.start()) {
            continue;
        }
        out.push(EntryMarker {
            kind,
            line: line_of(starts, m.start()),
        });
    }
    out
}

/// A cheap look at the line: is the offset after `//` or inside a `*`-led block comment line?
pub fn is_in_comment(text: &str, offset: usize) -> bool {
    let line_start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let before = &text[line_start..offset];
    let trimmed = before.trim_start();
    trimmed.starts_with("//")
        || trimmed.starts_with('*')
        || trimmed.starts_with("/*")
        || before.contains(" // ")
}

pub fn suppressions(text: &str, starts: &[usize]) -> Vec<SuppressComment> {
    SUPPRESS
        .captures_iter(text)
        .map(|c| SuppressComment {
            line: line_of(starts, c.get(0).map(|m| m.start()).unwrap_or(0)),
            rules: c[1].split(',').map(|s| s.trim().to_string()).collect(),
            reason: c
                .get(2)
                .map(|m| m.as_str().trim().trim_end_matches("*/").trim().to_string())
                .unwrap_or_default(),
        })
        .collect()
}

/// Words of an identifier or a route path: camelCase, snake_case, kebab-case, SCREAMING_CASE
/// and `/`-separated segments, lower-cased. Whole-word matching starts here.
pub fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        let boundary = c.is_ascii_uppercase()
            && i > 0
            && (chars[i - 1].is_ascii_lowercase()
                || (chars[i - 1].is_ascii_uppercase()
                    && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase())));
        if boundary && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_identifier_words() {
        assert_eq!(words("stripeApiKey"), vec!["stripe", "api", "key"]);
        assert_eq!(words("JWT_SECRET"), vec!["jwt", "secret"]);
        assert_eq!(words("APIKey"), vec!["api", "key"]);
        assert_eq!(words("/auth/sign-in/:id"), vec!["auth", "sign", "in", "id"]);
        assert_eq!(words("resendCode"), vec!["resend", "code"]);
    }

    #[test]
    fn reads_env_vars_in_all_spellings() {
        let src = "const a = process.env.DATABASE_URL;\nconst { PORT, REDIS_URL: r } = process.env;\nprocess.env['JWT_SECRET'];\nconfigService.get<string>('SMTP_HOST')";
        assert_eq!(
            env_vars(src),
            vec![
                "DATABASE_URL",
                "JWT_SECRET",
                "PORT",
                "REDIS_URL",
                "SMTP_HOST"
            ]
        );
    }

    #[test]
    fn finds_local_imports_only() {
        let src = "import { a } from './a';\nimport b from '../b/c';\nconst x = require('./x');\nimport 'reflect-metadata';\nimport './side';\nimport { p } from \"@/lib/prisma\";\nimport { s } from 'src/users/users.service';\nimport { z } from '@nestjs/core';\nconst t = '@/not-an-import';";
        assert_eq!(
            local_imports(src),
            vec![
                "../b/c",
                "./a",
                "./side",
                "./x",
                "@/lib/prisma",
                "src/users/users.service"
            ]
        );
    }

    #[test]
    fn suppression_reason_is_optional_in_syntax() {
        let src = "x\n// prodready-ignore SEC-CORS, SEC-HELMET: behind the gateway\n# prodready-ignore OBS-HEALTH\n";
        let s = suppressions(src, &line_starts(src));
        assert_eq!(s[0].line, 2);
        assert_eq!(s[0].rules, vec!["SEC-CORS", "SEC-HELMET"]);
        assert_eq!(s[0].reason, "behind the gateway");
        assert_eq!(s[1].reason, "");
    }

    #[test]
    fn entry_markers_skip_comments() {
        let src = "// NestFactory.create(x)\nconst app = await NestFactory.create<NestExpressApplication>(AppModule);\n";
        let m = entry_markers(src, &line_starts(src));
        assert_eq!(
            m,
            vec![EntryMarker {
                kind: EntryKind::NestHttp,
                line: 2
            }]
        );
    }
}
