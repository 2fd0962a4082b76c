//! Nest provider facts from a syntax tree: what is bound app-wide (APP_GUARD / APP_PIPE
//! providers, `app.useGlobal*` calls), which classes extend which, which constants hold
//! object literals or `new` expressions, and named imports — enough to resolve
//! `new ValidationPipe(options)` with the options or a subclass defined in another file.

use crate::rules::GlobalKind;
use std::collections::BTreeMap;
use tree_sitter::Node;

/// What an expression bound as a provider (or passed as options) turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `new C(options?)`
    New { class: String, options: Box<Expr> },
    /// A bare identifier: a class (useClass) or a constant to resolve.
    Ident(String),
    /// An object literal: key → value text, plus spread identifiers.
    Object {
        pairs: Vec<(String, String)>,
        spreads: Vec<String>,
    },
    /// No argument at all.
    Absent,
    /// Anything else, as text.
    Other(String),
}

#[derive(Debug, Clone)]
pub struct Binding {
    pub kind: GlobalKind,
    pub expr: Expr,
    pub line: usize,
    pub column: usize,
    pub snippet: String,
}

#[derive(Debug, Clone)]
pub struct ClassDef {
    pub name: String,
    pub extends: String,
    /// Options passed to `super(...)` in the constructor, when there is one.
    pub super_options: Option<Expr>,
    pub line: usize,
}

#[derive(Debug, Clone, Default)]
pub struct NestFacts {
    pub bindings: Vec<Binding>,
    pub classes: Vec<ClassDef>,
    pub consts: BTreeMap<String, Expr>,
    /// local name → (module specifier, exported name; `default` for a default import)
    pub imports: BTreeMap<String, (String, String)>,
    /// `export default name;`
    pub default_export: Option<String>,
}

/// The exported name of a default export.
pub const DEFAULT: &str = "default";

/// The source text of a node (empty if the range is not valid UTF-8).
pub(crate) fn text<'a>(node: Node, src: &'a str) -> &'a str {
    node.utf8_text(src.as_bytes()).unwrap_or("")
}

/// The text of a node's field, or "" when the field is absent.
fn field_text<'a>(node: Node, field: &str, src: &'a str) -> &'a str {
    node.child_by_field_name(field)
        .map(|x| text(x, src))
        .unwrap_or("")
}

fn global_kind(method: &str) -> Option<GlobalKind> {
    Some(match method {
        "useGlobalGuards" | "APP_GUARD" => GlobalKind::Guard,
        "useGlobalPipes" | "APP_PIPE" => GlobalKind::Pipe,
        "useGlobalFilters" | "APP_FILTER" => GlobalKind::Filter,
        "useGlobalInterceptors" | "APP_INTERCEPTOR" => GlobalKind::Interceptor,
        _ => return None,
    })
}

pub fn extract(root: Node, src: &str) -> NestFacts {
    let mut facts = NestFacts::default();
    super::tree::walk(root, KINDS, |node, _| visit(node, src, &mut facts));
    facts
}

/// The node kinds `visit` looks at.
pub const KINDS: &[&str] = &[
    "call_expression",
    "pair",
    "class_declaration",
    "abstract_class_declaration",
    "class",
    "variable_declarator",
    "export_statement",
    "import_statement",
];

pub fn visit(node: Node, src: &str, facts: &mut NestFacts) {
    match node.kind() {
        "call_expression" => {
            let Some(func) = node.child_by_field_name("function") else {
                return;
            };
            let func = unwrap_await(func);
            if func.kind() != "member_expression" {
                return;
            }
            let Some(prop) = func.child_by_field_name("property") else {
                return;
            };
            let Some(kind) = global_kind(text(prop, src)) else {
                return;
            };
            if let Some(args) = node.child_by_field_name("arguments") {
                let mut c = args.walk();
                for arg in args.named_children(&mut c) {
                    facts.bindings.push(binding(kind, arg, node, src));
                }
            }
        }
        "pair" => {
            let (Some(key), Some(value)) = (
                node.child_by_field_name("key"),
                node.child_by_field_name("value"),
            ) else {
                return;
            };
            if text(key, src) != "provide" {
                return;
            }
            let Some(kind) = global_kind(text(value, src)) else {
                return;
            };
            let Some(object) = node.parent() else {
                return;
            };
            let mut c = object.walk();
            for pair in object.named_children(&mut c) {
                if pair.kind() != "pair" {
                    continue;
                }
                let (Some(k), Some(v)) = (
                    pair.child_by_field_name("key"),
                    pair.child_by_field_name("value"),
                ) else {
                    continue;
                };
                if matches!(
                    text(k, src),
                    "useClass" | "useValue" | "useFactory" | "useExisting"
                ) {
                    facts.bindings.push(binding(kind, v, object, src));
                }
            }
        }
        "class_declaration" | "abstract_class_declaration" | "class" => {
            if let Some(def) = class_def(node, src) {
                facts.classes.push(def);
            }
        }
        "variable_declarator" => {
            let (Some(name), Some(value)) = (
                node.child_by_field_name("name"),
                node.child_by_field_name("value"),
            ) else {
                return;
            };
            if name.kind() == "identifier"
                && matches!(
                    value.kind(),
                    "object" | "new_expression" | "as_expression" | "satisfies_expression"
                )
            {
                facts
                    .consts
                    .entry(text(name, src).to_string())
                    .or_insert_with(|| describe(value, src));
            }
        }
        "export_statement" => {
            // `export default validationOptions;` → the default export is that constant.
            let is_default = node.child(1).is_some_and(|c| c.kind() == "default");
            if let (true, Some(value)) = (is_default, node.child_by_field_name("value")) {
                match value.kind() {
                    "identifier" => {
                        facts.default_export = Some(text(value, src).to_string());
                    }
                    "object" | "new_expression" => {
                        facts
                            .consts
                            .insert(DEFAULT.to_string(), describe(value, src));
                    }
                    _ => {}
                }
            }
        }
        "import_statement" => {
            let Some(source) = node.child_by_field_name("source") else {
                return;
            };
            let module = text(source, src)
                .trim_matches(|c| c == '"' || c == '\'')
                .to_string();
            collect_import_specifiers(node, src, &module, facts);
        }
        _ => {}
    }
}

fn collect_import_specifiers(node: Node, src: &str, module: &str, facts: &mut NestFacts) {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if n.kind() == "import_clause" {
            // `import name from './x'`: the clause's bare identifier is the default import.
            let mut c = n.walk();
            for child in n.named_children(&mut c) {
                if child.kind() == "identifier" {
                    facts.imports.insert(
                        text(child, src).to_string(),
                        (module.to_string(), DEFAULT.to_string()),
                    );
                }
            }
        }
        if n.kind() == "import_specifier" {
            let name = field_text(n, "name", src);
            let alias = match field_text(n, "alias", src) {
                "" => name,
                alias => alias,
            };
            facts
                .imports
                .insert(alias.to_string(), (module.to_string(), name.to_string()));
            continue;
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
}

fn unwrap_await(node: Node) -> Node {
    if node.kind() == "await_expression" {
        node.named_child(0).unwrap_or(node)
    } else {
        node
    }
}

fn binding(kind: GlobalKind, expr: Node, anchor: Node, src: &str) -> Binding {
    let start = anchor.start_position();
    Binding {
        kind,
        expr: describe(expr, src),
        line: start.row + 1,
        column: start.column + 1,
        snippet: text(anchor, src)
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .chars()
            .take(120)
            .collect(),
    }
}

/// Describes an expression well enough to resolve a class and its options later.
pub fn describe(node: Node, src: &str) -> Expr {
    describe_at(node, src, 0)
}

/// Nesting deeper than this is hostile or generated; it is described as opaque text so the
/// recursion (and the recursive drop of the result) stays shallow.
const MAX_DESCRIBE_DEPTH: usize = 24;

fn describe_at(node: Node, src: &str, depth: usize) -> Expr {
    if depth > MAX_DESCRIBE_DEPTH {
        return Expr::Other(String::new());
    }
    let describe = |n: Node, src: &str| describe_at(n, src, depth + 1);
    match node.kind() {
        "new_expression" => {
            let class = node
                .child_by_field_name("constructor")
                .map(|c| last_segment(text(c, src)))
                .unwrap_or_default();
            let options = node
                .child_by_field_name("arguments")
                .and_then(|a| a.named_child(0))
                .map(|a| describe(a, src))
                .unwrap_or(Expr::Absent);
            Expr::New {
                class,
                options: Box::new(options),
            }
        }
        "identifier" | "property_identifier" => Expr::Ident(text(node, src).to_string()),
        "member_expression" => Expr::Ident(last_segment(text(node, src))),
        "object" => object(node, src),
        "parenthesized_expression"
        | "await_expression"
        | "as_expression"
        | "satisfies_expression"
        | "non_null_expression" => node
            .named_child(0)
            .map(|n| describe(n, src))
            .unwrap_or_else(|| Expr::Other(text(node, src).to_string())),
        "call_expression" => {
            // `app.get(ThrottlerGuard)` resolves a provider by class.
            let func = node
                .child_by_field_name("function")
                .map(|f| text(f, src))
                .unwrap_or("");
            let first = node
                .child_by_field_name("arguments")
                .and_then(|a| a.named_child(0));
            match first {
                Some(arg) if func.ends_with(".get") && arg.kind() == "identifier" => {
                    Expr::Ident(text(arg, src).to_string())
                }
                _ => Expr::Other(text(node, src).to_string()),
            }
        }
        "arrow_function" | "function_expression" | "function" => {
            // A factory: what it builds is the first `new` inside it.
            find_descendant(node, "new_expression")
                .map(|n| describe(n, src))
                .unwrap_or_else(|| Expr::Other(text(node, src).to_string()))
        }
        _ => Expr::Other(text(node, src).to_string()),
    }
}

fn last_segment(path: &str) -> String {
    path.rsplit('.').next().unwrap_or(path).trim().to_string()
}

fn object(node: Node, src: &str) -> Expr {
    let mut pairs = Vec::new();
    let mut spreads = Vec::new();
    let mut c = node.walk();
    for child in node.named_children(&mut c) {
        match child.kind() {
            "pair" => {
                let key = field_text(child, "key", src);
                let value = field_text(child, "value", src);
                pairs.push((
                    key.trim_matches(|c| c == '"' || c == '\'').to_string(),
                    value.trim().to_string(),
                ));
            }
            "shorthand_property_identifier" => {
                let name = text(child, src).to_string();
                pairs.push((name.clone(), name));
            }
            "spread_element" => {
                if let Some(inner) = child.named_child(0) {
                    spreads.push(text(inner, src).to_string());
                }
            }
            _ => {}
        }
    }
    Expr::Object { pairs, spreads }
}

fn find_descendant<'t>(node: Node<'t>, kind: &str) -> Option<Node<'t>> {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if n.kind() == kind {
            return Some(n);
        }
        let mut c = n.walk();
        let children: Vec<Node> = n.named_children(&mut c).collect();
        stack.extend(children.into_iter().rev());
    }
    None
}

fn class_def(node: Node, src: &str) -> Option<ClassDef> {
    let name = node
        .child_by_field_name("name")
        .map(|n| text(n, src).to_string())?;
    let mut c = node.walk();
    let heritage = node
        .named_children(&mut c)
        .find(|n| n.kind() == "class_heritage")?;
    let extends_clause = find_descendant(heritage, "extends_clause")?;
    let value = extends_clause
        .child_by_field_name("value")
        .or_else(|| extends_clause.named_child(0))?;
    let extends = last_segment(text(value, src).split('<').next().unwrap_or(""));
    let body = node.child_by_field_name("body");
    let super_options = body.and_then(|b| super_call_options(b, src));
    Some(ClassDef {
        name,
        extends,
        super_options,
        line: node.start_position().row + 1,
    })
}

/// The first argument of `super(...)` inside a class body.
fn super_call_options(body: Node, src: &str) -> Option<Expr> {
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        if n.kind() == "call_expression" {
            if let Some(f) = n.child_by_field_name("function") {
                if f.kind() == "super" {
                    return Some(
                        n.child_by_field_name("arguments")
                            .and_then(|a| a.named_child(0))
                            .map(|a| describe(a, src))
                            .unwrap_or(Expr::Absent),
                    );
                }
            }
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    None
}
