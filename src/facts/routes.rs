//! HTTP routes of a file, from its tree: Nest handlers (`@Post('login')` in a
//! `@Controller('auth')` class) and router calls (`router.post('/login', limiter, handler)` in
//! Express, Fastify, Hono, Koa-router). Each route keeps what protects it (decorators,
//! middleware arguments) and its handler's code when it is in the file, so the rules can ask
//! "is this login route rate-limited?" or "does this webhook verify a signature?".

use super::nest::text;
use std::sync::LazyLock;
use tree_sitter::Node;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub line: usize,
    pub column: usize,
    /// Upper-case HTTP method (`ALL` for `@All` / `.all`).
    pub method: String,
    /// Controller prefix and route path, `/`-joined.
    pub path: String,
    /// The handler's name (`login`, `authController.login`), "" for an inline function.
    pub handler: String,
    /// Decorators of the handler and of its class, or the middleware arguments before it.
    pub guards: String,
    /// The handler's code when it is written in this file, capped.
    pub body: String,
    pub snippet: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteFacts {
    pub routes: Vec<Route>,
    /// Middleware mounted in the file, `x.use(...)`: (receiver, arguments' text).
    pub mounted: Vec<(String, String)>,
}

/// Signature verification of an incoming request: Stripe `constructEvent`, svix / standard
/// webhooks `verify`, Octokit `verify`, an HMAC compared with `timingSafeEqual`, Twilio
/// `validateRequest`, or a helper whose name says it verifies a signature.
static VERIFIES: LazyLock<regex::Regex> = LazyLock::new(|| {
    // Every alternative starts with a distinctive word, so the regex's own literal
    // prefilter skips files without one.
    regex::Regex::new(concat!(
        r"\bconstructEvent(?:Async)?\s*\(|\btimingSafeEqual\s*\(|\bvalidateRequest(?:WithBody)?\s*\(",
        r"|\bWebhook\s*\(|\bwebhooks?\.verify(?:AndReceive)?\s*\(|\bwh\.verify\s*\(",
        r"|\b(?:verify|validate)\w*(?:Signature|Webhook|Hmac|HMAC)\w*\s*\(|\bisValid\w*Signature\w*\s*\(",
        r"|\bverifyKey\s*\(|\bverifySig\w*\s*\(",
    ))
    .expect("static regex")
});

pub fn verifies_signature(text: &str) -> bool {
    VERIFIES.is_match(text)
}

const BODY_CAP: usize = 20_000;
const HTTP_DECORATORS: &[&str] = &["Get", "Post", "Put", "Patch", "Delete", "All"];
const ROUTER_METHODS: &[&str] = &["get", "post", "put", "patch", "delete", "all"];

pub fn extract(root: Node, src: &str) -> RouteFacts {
    let mut facts = RouteFacts::default();
    super::tree::walk(root, KINDS, |node, _| visit(node, src, &mut facts));
    finish(&mut facts);
    facts
}

/// The node kinds `visit` looks at.
pub const KINDS: &[&str] = &[
    "class_declaration",
    "abstract_class_declaration",
    "class",
    "call_expression",
];

pub fn visit(node: Node, src: &str, facts: &mut RouteFacts) {
    match node.kind() {
        "class_declaration" | "abstract_class_declaration" | "class" => {
            controller_routes(node, src, &mut facts.routes);
        }
        "call_expression" => router_call(node, src, facts),
        _ => {}
    }
}

/// Routes in source order.
pub fn finish(facts: &mut RouteFacts) {
    facts.routes.sort_by_key(|r| (r.line, r.column));
}

/// `@Controller('auth') class X { @Post('login') login() {} }`.
fn controller_routes(class: Node, src: &str, routes: &mut Vec<Route>) {
    let mut decorators: Vec<Node> = children_by_field(class, "decorator");
    if let Some(parent) = class.parent().filter(|p| p.kind() == "export_statement") {
        decorators.extend(children_by_field(parent, "decorator"));
    }
    let Some(prefix) = decorators
        .iter()
        .find_map(|d| decorator_call(*d, src).filter(|(n, _)| *n == "Controller"))
        .map(|(_, call)| first_path_argument(call, src))
    else {
        return;
    };
    let class_guards: Vec<&str> = decorators.iter().map(|d| text(*d, src)).collect();
    let Some(body) = class.child_by_field_name("body") else {
        return;
    };
    let mut pending: Vec<Node> = Vec::new();
    let mut cursor = body.walk();
    for member in body.named_children(&mut cursor) {
        match member.kind() {
            "decorator" => pending.push(member),
            "method_definition" => {
                let http = pending.iter().find_map(|d| {
                    decorator_call(*d, src).filter(|(n, _)| HTTP_DECORATORS.contains(n))
                });
                if let Some((name, call)) = http {
                    let decorator = call.parent().unwrap_or(call);
                    let mut guards: Vec<&str> = pending.iter().map(|d| text(*d, src)).collect();
                    guards.extend(class_guards.iter().copied());
                    routes.push(Route {
                        line: decorator.start_position().row + 1,
                        column: decorator.start_position().column + 1,
                        method: name.to_ascii_uppercase(),
                        path: join_path(&prefix, &first_path_argument(call, src)),
                        handler: member
                            .child_by_field_name("name")
                            .map(|n| text(n, src).to_string())
                            .unwrap_or_default(),
                        guards: guards.join("\n"),
                        body: capped(text(member, src)),
                        snippet: first_line(text(decorator, src)),
                    });
                }
                pending.clear();
            }
            "comment" => {}
            _ => pending.clear(),
        }
    }
}

/// `router.post('/login', limiter, handler)`, `app.route('/login').post(handler)`.
fn router_call(call: Node, src: &str, facts: &mut RouteFacts) {
    let Some(function) = call.child_by_field_name("function") else {
        return;
    };
    if function.kind() != "member_expression" {
        return;
    }
    let (Some(object), Some(property)) = (
        function.child_by_field_name("object"),
        function.child_by_field_name("property"),
    ) else {
        return;
    };
    let method = text(property, src);
    let Some(args) = call.child_by_field_name("arguments") else {
        return;
    };
    let mut cursor = args.walk();
    let items: Vec<Node> = args
        .named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect();
    if method == "use" {
        let args: Vec<&str> = items.iter().map(|n| text(*n, src)).collect();
        facts
            .mounted
            .push((text(object, src).to_string(), capped(&args.join(", "))));
        return;
    }
    if !ROUTER_METHODS.contains(&method) || is_http_client(text(object, src)) {
        return;
    }
    // The path: the first argument, or the `.route('/path')` the method is chained on.
    let (path, rest) = match items.first().and_then(|n| string_value(*n, src)) {
        Some(p) => (p, &items[1..]),
        None => match route_chain_path(object, src) {
            Some(p) => (p, &items[..]),
            None => return,
        },
    };
    let Some(last) = rest.last() else {
        return;
    };
    let (handler, body) = match last.kind() {
        "arrow_function" | "function_expression" | "function" => {
            (String::new(), capped(text(*last, src)))
        }
        "identifier" | "member_expression" | "call_expression" => {
            (text(*last, src).to_string(), String::new())
        }
        _ => return, // `client.post('/x', { data })`: a request, not a route
    };
    let guards: Vec<&str> = rest[..rest.len() - 1]
        .iter()
        .map(|n| text(*n, src))
        .collect();
    // The method's own position: in a chain (`new Hono().post(...).post(...)`) every call
    // starts where the chain does.
    facts.routes.push(Route {
        line: property.start_position().row + 1,
        column: property.start_position().column + 1,
        method: method.to_ascii_uppercase(),
        path,
        handler,
        guards: guards.join("\n"),
        body,
        snippet: first_line(text(call, src)),
    });
}

/// Receivers that send requests rather than serve them.
fn is_http_client(object: &str) -> bool {
    let last = object
        .rsplit('.')
        .next()
        .unwrap_or(object)
        .to_ascii_lowercase();
    [
        "axios",
        "http",
        "httpclient",
        "httpservice",
        "client",
        "request",
        "agent",
        "supertest",
        "got",
        "ky",
        "api",
        "fetch",
        "instance",
    ]
    .contains(&last.as_str())
}

fn route_chain_path(object: Node, src: &str) -> Option<String> {
    if object.kind() != "call_expression" {
        return None;
    }
    let function = object.child_by_field_name("function")?;
    let property = function.child_by_field_name("property")?;
    if text(property, src) != "route" {
        return None;
    }
    let args = object.child_by_field_name("arguments")?;
    let first = args.named_child(0)?;
    string_value(first, src)
}

fn children_by_field<'t>(node: Node<'t>, field: &str) -> Vec<Node<'t>> {
    let mut cursor = node.walk();
    node.children_by_field_name(field, &mut cursor).collect()
}

/// `@Name(args)`: the name and the call node.
fn decorator_call<'t>(decorator: Node<'t>, src: &'t str) -> Option<(&'t str, Node<'t>)> {
    let call = decorator.named_child(0)?;
    if call.kind() != "call_expression" {
        return None;
    }
    let function = call.child_by_field_name("function")?;
    Some((text(function, src), call))
}

/// The path of `@Post('login')`, `@Post(['a', 'b'])`, `@Controller({ path: 'auth' })`.
fn first_path_argument(call: Node, src: &str) -> String {
    let Some(first) = call
        .child_by_field_name("arguments")
        .and_then(|a| a.named_child(0))
    else {
        return String::new();
    };
    match first.kind() {
        "array" => first
            .named_child(0)
            .and_then(|n| string_value(n, src))
            .unwrap_or_default(),
        "object" => {
            let mut cursor = first.walk();
            let path = first.named_children(&mut cursor).find_map(|pair| {
                let key = pair.child_by_field_name("key")?;
                (text(key, src) == "path")
                    .then(|| pair.child_by_field_name("value"))
                    .flatten()
                    .and_then(|v| string_value(v, src))
            });
            path.unwrap_or_default()
        }
        _ => string_value(first, src).unwrap_or_default(),
    }
}

/// A string literal's content (a template string without substitutions included).
fn string_value(node: Node, src: &str) -> Option<String> {
    match node.kind() {
        "string" => Some(text(node, src).trim_matches(['\'', '"']).to_string()),
        "template_string" if node.named_child_count() == 0 => {
            Some(text(node, src).trim_matches('`').to_string())
        }
        _ => None,
    }
}

fn join_path(prefix: &str, path: &str) -> String {
    let parts: Vec<&str> = [prefix, path]
        .iter()
        .map(|p| p.trim_matches('/'))
        .filter(|p| !p.is_empty())
        .collect();
    format!("/{}", parts.join("/"))
}

fn capped(s: &str) -> String {
    if s.len() <= BODY_CAP {
        return s.to_string();
    }
    let mut end = BODY_CAP;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    if line.chars().count() > 120 {
        format!("{}…", line.chars().take(120).collect::<String>())
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes(src: &str) -> Vec<(String, String, String)> {
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into())
            .expect("grammar");
        let tree = parser.parse(src, None).expect("parse");
        extract(tree.root_node(), src)
            .routes
            .into_iter()
            .map(|r| (r.method, r.path, r.handler))
            .collect()
    }

    #[test]
    fn nest_handlers_with_their_controller_prefix() {
        let src = "@Controller('auth')\nexport class A {\n  @Throttle({ default: { limit: 3 } })\n  @Post('login')\n  login() {}\n  @Get()\n  me() {}\n  helper() {}\n}\n";
        assert_eq!(
            routes(src),
            vec![
                ("POST".into(), "/auth/login".into(), "login".into()),
                ("GET".into(), "/auth".into(), "me".into()),
            ]
        );
    }

    #[test]
    fn router_calls_but_not_http_clients() {
        let src = "router.post('/login', limiter, (req, res) => res.send(1));\nrouter.route('/reset').post(auth.reset);\naxios.post('/login', { a: 1 });\nthis.http.post(url, body);\n";
        assert_eq!(
            routes(src),
            vec![
                ("POST".into(), "/login".into(), "".into()),
                ("POST".into(), "/reset".into(), "auth.reset".into()),
            ]
        );
    }
}
