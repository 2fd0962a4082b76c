//! Route rules: SEC-RATE-LIMIT-AUTH (sensitive routes need a stricter limit than the global
//! one) and SEC-WEBHOOK-SIGNATURE (webhook routes verify a signature). Route paths and
//! handler names are matched by whole words: `resend` is not `send`, `registry` is not
//! `register`.

use super::Site;
use crate::facts::routes::{verifies_signature, Route};
use crate::facts::text::words;
use crate::model::{Confidence, Location};
use crate::workspace::scan::ScannedFile;
use regex::Regex;
use std::collections::BTreeSet;
use std::sync::LazyLock;

/// A limiter on the route: `@Throttle(...)`, a ThrottlerGuard, express-rate-limit,
/// rate-limiter-flexible, express-slow-down, express-brute, Fastify `config.rateLimit`.
static LIMITER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)throttl|rate[-_]?limit|limiter|slow[-_]?down|brute").expect("static regex")
});

/// A limiter called in code (not named in a comment): `loginRateLimit.check(ip)`,
/// `await limiter.consume(key)`.
static LIMITER_CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b\w*(?:[rR]ate[lL]imit|RATE_LIMIT|[lL]imiter|[tT]hrottl)\w*(?:\.\w+)*\s*\(")
        .expect("static regex")
});

/// A guard dedicated to webhooks: `@UseGuards(StripeSignatureGuard)`.
static SIGNATURE_GUARD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)UseGuards\([^)]*(?:signature|webhook|hmac|stripe|svix)").expect("static regex")
});

/// What kind of sensitive route this is, from the words of its path and handler name.
fn sensitive(route: &Route) -> Option<&'static str> {
    let mut w = words(&route.path);
    w.extend(words(&route.handler));
    let has = |x: &str| w.iter().any(|y| y == x);
    // Passkey ceremonies sign a server challenge: nothing there can be guessed.
    if has("webauthn") || has("passkey") || has("passkeys") {
        return None;
    }
    let pair = |a: &str, b: &str| w.windows(2).any(|p| p[0] == a && p[1] == b);
    if has("login") || has("signin") || has("logon") || pair("sign", "in") || pair("log", "in") {
        Some("login")
    } else if has("register") || has("registration") || has("signup") || pair("sign", "up") {
        Some("sign-up")
    } else if has("forgot") || (has("reset") && (has("password") || has("pass") || has("pin"))) {
        Some("password reset")
    } else if has("password") || has("passwd") {
        Some("password change")
    } else if has("otp")
        || has("totp")
        || has("mfa")
        || has("2fa")
        || pair("two", "factor")
        || has("twofactor")
    {
        Some("one-time code")
    } else if has("verify") || has("verification") {
        Some("verification")
    } else if has("invite") || has("invites") || has("invitation") || has("invitations") {
        Some("invite")
    } else if has("magic") && has("link") {
        Some("magic link")
    } else if has("send")
        && ["code", "otp", "sms", "email", "link"]
            .iter()
            .any(|x| has(x))
    {
        Some("code sending")
    } else {
        None
    }
}

fn is_write(route: &Route) -> bool {
    matches!(route.method.as_str(), "POST" | "PUT" | "PATCH" | "ALL")
}

/// Receivers that are the application itself: what is mounted there is the global limit.
fn is_app(receiver: &str) -> bool {
    matches!(
        receiver.rsplit('.').next().unwrap_or(receiver),
        "app" | "server" | "application" | "fastify" | "instance" | "api"
    )
}

/// A limiter mounted on a path prefix anywhere in the app (`app.use('/v1/auth', authLimiter)`):
/// the last word of that path.
fn path_limits(files: &[ScannedFile], unit_files: &BTreeSet<usize>) -> Vec<String> {
    unit_files
        .iter()
        .filter_map(|&i| files[i].facts.routes.as_ref())
        .flat_map(|r| r.mounted.iter())
        .filter(|(_, args)| LIMITER.is_match(args))
        .filter_map(|(_, args)| {
            let path = args.strip_prefix(['\'', '"', '`'])?;
            let end = path.find(['\'', '"', '`'])?;
            words(&path[..end]).pop()
        })
        .collect()
}

fn limited(
    file: &ScannedFile,
    route: &Route,
    mounted: &[(String, String)],
    paths: &[String],
) -> bool {
    // `@SkipThrottle()` removes a limit, it does not add one.
    let guards = route.guards.replace("SkipThrottle", "");
    let mut covered = words(&route.path);
    covered.extend(words(&file.rel));
    LIMITER.is_match(&guards)
        // a limiter called inside the handler (`loginRateLimit.check(ip)`)
        || LIMITER_CALL.is_match(&route.body)
        // a limiter on the router of this file (not the app's global one)
        || mounted
            .iter()
            .any(|(receiver, args)| !is_app(receiver) && LIMITER.is_match(args))
        || paths.iter().any(|p| covered.contains(p))
}

fn is_webhook(route: &Route) -> bool {
    let mut w = words(&route.path);
    w.extend(words(&route.handler));
    w.iter()
        .any(|x| matches!(x.as_str(), "webhook" | "webhooks" | "hook" | "hooks"))
}

fn site(file: &ScannedFile, route: &Route, message: String) -> Site {
    Site {
        location: Location {
            path: file.rel.clone(),
            line: route.line,
            column: route.column,
        },
        message,
        snippet: route.snippet.clone(),
        confidence: Confidence::High,
    }
}

fn routes<'a>(
    files: &'a [ScannedFile],
    unit_files: &'a BTreeSet<usize>,
) -> impl Iterator<Item = (&'a ScannedFile, &'a [(String, String)], &'a Route)> {
    unit_files.iter().flat_map(move |&i| {
        let file = &files[i];
        file.facts.routes.iter().flat_map(move |r| {
            r.routes
                .iter()
                .map(move |route| (file, r.mounted.as_slice(), route))
        })
    })
}

/// SEC-RATE-LIMIT-AUTH: each sensitive write route with no limiter of its own.
pub fn auth_rate_limit(files: &[ScannedFile], unit_files: &BTreeSet<usize>) -> Vec<Site> {
    let paths = path_limits(files, unit_files);
    routes(files, unit_files)
        .filter(|(_, _, r)| is_write(r) && !is_webhook(r))
        .filter_map(|(file, mounted, r)| {
            let kind = sensitive(r)?;
            (!limited(file, r, mounted, &paths)).then(|| {
                site(
                    file,
                    r,
                    format!(
                        "{kind} route {} {} has no rate limit of its own (at most the global one): give it a stricter one (@Throttle({{ default: {{ limit: 5, ttl: 60_000 }} }}) or a dedicated limiter middleware)",
                        r.method, r.path
                    ),
                )
            })
        })
        .collect()
}

/// SEC-WEBHOOK-SIGNATURE: each webhook route that never verifies a signature. A handler that
/// reads a signature header and hands it on counts as verified when some file of the app
/// verifies one.
pub fn webhook_signature(files: &[ScannedFile], unit_files: &BTreeSet<usize>) -> Vec<Site> {
    let app_verifies = unit_files
        .iter()
        .any(|&i| files[i].facts.verifies_signature);
    routes(files, unit_files)
        .filter(|(_, _, r)| is_write(r) && is_webhook(r))
        .filter_map(|(file, _, r)| {
            let guarded = SIGNATURE_GUARD.is_match(&r.guards);
            let local = verifies_signature(&r.body)
                || (r.body.is_empty() && file.facts.verifies_signature);
            let body = r.body.to_ascii_lowercase();
            let handed_on =
                (body.contains("signature") || body.contains("hmac")) && app_verifies;
            (!(guarded || local || handed_on)).then(|| {
                site(
                    file,
                    r,
                    format!(
                        "webhook route {} {} never verifies a signature: anyone can post forged events; verify it (stripe.webhooks.constructEvent, svix Webhook.verify, or an HMAC compared with timingSafeEqual) and reject a missing header",
                        r.method, r.path
                    ),
                )
            })
        })
        .collect()
}
