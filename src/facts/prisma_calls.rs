//! Prisma call sites in one TypeScript/JavaScript file: every `<client>.<model>.<operation>(args)`
//! with the shape of its `where`, whether it is bounded (`take` / `cursor`), whether it is
//! awaited inside a loop, whether its result leaves the enclosing function, and which class
//! method encloses it. Also the controller facts PERF-PAGINATION follows one hop through
//! (handlers and the `this.service.method(...)` calls they make).
//!
//! The client is recognised by shape, not by type: the model accessor is checked against the
//! schema later, so `this.prisma.user`, `this.db.user`, `tx.user` and an injected
//! `PrismaService` all count, and `stripe.customers.create` does not (no such model).

use super::nest::text;
use tree_sitter::Node;

/// Operations of a model delegate (Prisma 5/6).
pub const OPERATIONS: &[&str] = &[
    "findUnique",
    "findUniqueOrThrow",
    "findFirst",
    "findFirstOrThrow",
    "findMany",
    "create",
    "createMany",
    "createManyAndReturn",
    "update",
    "updateMany",
    "updateManyAndReturn",
    "upsert",
    "delete",
    "deleteMany",
    "count",
    "aggregate",
    "groupBy",
];

/// Deeper `where` objects than this are "unknown" rather than walked.
const MAX_DEPTH: usize = 24;

#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Field paths every matching row is constrained by: `[workspaceId]`, `[project,
    /// workspaceId]` for a relation filter, `[ws_slug, workspaceId]` for a compound key.
    /// Members of AND count; an OR counts for what all its branches share; NOT never does.
    pub constrained: Vec<Vec<String>>,
    /// Each OR whose branches do not share a constraint: per branch, its constrained paths
    /// (so a rule can accept "every branch is scoped, one way or another").
    pub or_groups: Vec<Vec<Vec<Vec<String>>>>,
    /// Top-level field names the filter uses anywhere (AND, OR and NOT included).
    pub used: Vec<String>,
    /// The value each directly constrained field is compared with, as written
    /// (`id` → `collection.id`).
    pub values: Vec<(String, String)>,
    /// Values compared inside relation filters (`recipients: { some: { email: x } }`).
    pub nested_values: Vec<String>,
    /// Fields matched by substring (`contains`, `endsWith`, `search`): no B-tree index helps.
    pub fuzzy: Vec<String>,
    /// Part of the filter could not be seen (an unresolved identifier, call or spread).
    pub unknown: bool,
    /// The `where` key is absent.
    pub absent: bool,
}

impl Filter {
    /// Adds a filter that holds together with this one (an AND member, a spread object).
    fn absorb(&mut self, sub: Filter) {
        self.constrained.extend(sub.constrained);
        self.or_groups.extend(sub.or_groups);
        self.values.extend(sub.values);
        self.nested_values.extend(sub.nested_values);
        self.used.extend(sub.used);
        self.fuzzy.extend(sub.fuzzy);
        self.unknown |= sub.unknown;
    }
}

#[derive(Debug, Clone)]
pub struct PrismaCall {
    pub receiver: String,
    pub accessor: String,
    pub op: String,
    pub line: usize,
    pub column: usize,
    pub snippet: String,
    pub filter: Filter,
    /// `take` or `cursor` in the arguments (or the arguments are not an object literal).
    pub bounded: bool,
    /// Line of the loop (or `.map(async ...)`) the call is awaited in.
    pub in_loop: Option<usize>,
    /// The result is returned, or sent with `res.json(...)` / `res.send(...)` / `c.json(...)`.
    pub returned: bool,
    /// Inside a route callback (`router.get('/x', async (req, res) => ...)`).
    pub in_route_callback: bool,
    /// The procedure a tRPC handler is built on (`protectedProjectProcedure` for
    /// `protectedProjectProcedure.input(…).mutation(async ({ input }) => …)`).
    pub procedure: Option<String>,
    /// (class, method) enclosing the call.
    pub method: Option<(String, String)>,
    /// The variable the result is stored in (`const row = await ...`).
    pub result_var: Option<String>,
    /// Start byte of the enclosing function: calls with the same value share a scope.
    pub scope_start: usize,
    /// The result is handed to an access check later in the function
    /// (`if (!(await this.checkAccess(doc, user))) throw ...`).
    pub result_checked: bool,
    /// Loop variables and callback parameters that stand for a row of a collection:
    /// (alias, collection) for `for (const r of rows)` and `rows.map((r) => ...)`.
    pub row_aliases: Vec<(String, String)>,
    /// Fields read from the result later in the function (`if (doc.teamId !== teamId)`):
    /// a tenant check made after the fetch.
    pub result_fields: Vec<String>,
    /// The keys of a literal `select` (`select: { slug: true }`): the columns the rows carry.
    pub selected: Vec<String>,
    /// A `groupBy`'s literal `by` columns (`by: ["organizationId"]`).
    pub grouped_by: Vec<String>,
    /// The stored result is only ever tested for being there (`return isDefined(existing)`,
    /// `if (!row)`): the code asks whether such a row exists, and reads none of it.
    pub exists_only: bool,
    pub place: Place,
    /// The function compared a shared secret from the environment before the call (`if
    /// (req.query.secret !== process.env.REVALIDATE_TOKEN) return …`): the env variable.
    pub secret_gate: Option<String>,
    /// The stored result is tested before use (`if (!row) return`, `row === null`), or read
    /// in a way that throws when it is missing (`row.name`).
    pub result_tested: bool,
}

/// A controller method and the service calls it makes: `this.<field>.<method>(...)`.
#[derive(Debug, Clone)]
pub struct Handler {
    pub class: String,
    pub method: String,
    pub line: usize,
    pub calls: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct PrismaFacts {
    pub calls: Vec<PrismaCall>,
    pub handlers: Vec<Handler>,
    /// Constructor-injected fields per class: (class, field, type name).
    pub injected: Vec<(String, String, String)>,
    pub methods: Vec<MethodInfo>,
    /// `this.m(args)` and `this.field.m(args)` calls made inside methods.
    pub method_calls: Vec<MethodCall>,
    /// Locals of methods and the identifier each is built on:
    /// (class, method, variable, base) for `const ids = docs.map((d) => d.id)`.
    pub derived: Vec<(String, String, String, String)>,
    /// Rows fetched by a query builder beside Prisma (Kysely's `.execute()`) or just created
    /// by a `create…` function, as (class, method, variable): their ids are fetched rows' ids.
    pub query_rows: Vec<(String, String, String)>,
    /// Guard classes (a `canActivate` method) with the id names their body mentions
    /// (`collectionID`, `teamId`): the arguments the guard looks up and checks.
    pub guard_words: Vec<(String, Vec<String>)>,
}

/// A class method: enough to follow where its parameters come from.
#[derive(Debug, Clone)]
pub struct MethodInfo {
    pub class: String,
    pub name: String,
    /// `private` / `#name`: only its own class calls it.
    pub private: bool,
    pub params: Vec<String>,
    /// A first parameter destructured from an object (`({ teamId, id: folderId }) =>`): each
    /// (key, local name). Functional code passes its inputs this way.
    pub object_keys: Vec<(String, String)>,
    /// A GraphQL `@ResolveField()` method: its `@Parent()` parameter, an object another
    /// resolver already returned.
    pub parent_param: Option<String>,
    /// The guard classes of `@UseGuards(...)` on the method and on its class.
    pub guards: Vec<String>,
    /// Parameters Nest fills from the request (`@Param()`, `@Body()`, `@Args()` ...).
    pub request_params: Vec<String>,
    /// Parameters typed as what authentication established (`env: AuthenticatedEnvironment`):
    /// the caller's own tenant, like the acting user.
    pub principal_params: Vec<String>,
    /// A decorator on the method or its class admits administrators only.
    pub admin: bool,
    /// Run by the process itself, not by a request: a scheduled job (`@Cron()`), a queue
    /// processor (`@Process()`, `@Processor()` class), an event handler (`@OnEvent()`) or a
    /// start-up hook (`onModuleInit`).
    pub background: bool,
}

/// Where a call sits: its start byte and the byte range of the innermost block around it.
/// A call in a block around another runs before it on every path (one in a sibling `if`
/// branch does not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Place {
    pub at: usize,
    pub block: (usize, usize),
}

impl Place {
    fn of(node: Node, anc: &[Node], src: &str) -> Place {
        // A `try` body runs before what follows the `try` (a throw leaves for the `catch`).
        let block = (0..anc.len()).rev().find(|&i| {
            anc[i].kind() == "statement_block" && (i == 0 || anc[i - 1].kind() != "try_statement")
        });
        Place {
            at: node.start_byte(),
            block: block.map_or((0, src.len()), |i| (anc[i].start_byte(), anc[i].end_byte())),
        }
    }

    /// Does code at this place run before `later` on every path to it (same function)?
    pub fn dominates(&self, later: &Place) -> bool {
        self.at < later.at && self.block.0 <= later.at && later.at < self.block.1
    }
}

impl MethodInfo {
    /// Is `name` one of its parameters (also a key of a destructured first parameter)?
    pub fn has_param(&self, name: &str) -> bool {
        self.params.iter().any(|p| p == name) || self.object_keys.iter().any(|(_, l)| l == name)
    }
}

/// A call of a method on `this` (target None) or on an injected field (`this.service.m()`),
/// on a variable (`object`), or of a plain function (`free`: `updateFolder({ folderId: folder.id })`), made inside a
/// method or a named function (class "" for a function).
#[derive(Debug, Clone)]
pub struct MethodCall {
    pub class: String,
    pub caller: String,
    pub target: Option<String>,
    /// `conversationService.get(id)`: the variable named (an object literal of methods).
    pub object: Option<String>,
    pub method: String,
    pub free: bool,
    pub args: Vec<String>,
    /// The keys of an object literal passed first: (key, value) (shorthand: the key twice).
    pub named_args: Vec<(String, String)>,
    /// Loop variables and callback parameters around the call (see `PrismaCall`).
    pub row_aliases: Vec<(String, String)>,
    /// The locals the call's result is stored in: `const row = await f()`, or the keys of
    /// `const { program } = await f()`.
    pub result: Vec<String>,
    /// 1-based line of the call: an access check counts for what comes after it.
    pub line: usize,
    /// Members read from the stored result later in the function, through wrappers
    /// (`sub.right.teamID`): a tenant compared after a helper fetched the row.
    pub result_fields: Vec<String>,
    pub place: Place,
    /// The tRPC procedure the calling handler is built on (see `PrismaCall`).
    pub procedure: Option<String>,
}

/// Strips `await`, parentheses, `as T`, `!` and `satisfies T` around an expression.
fn unwrap_expr(mut node: Node) -> Node {
    loop {
        let inner = match node.kind() {
            "parenthesized_expression" | "await_expression" | "non_null_expression" => {
                node.named_child(0)
            }
            "as_expression" | "satisfies_expression" => node.named_child(0),
            _ => None,
        };
        match inner {
            Some(i) => node = i,
            None => return node,
        }
    }
}

pub fn extract(root: Node, src: &str) -> PrismaFacts {
    let mut facts = PrismaFacts::default();
    super::tree::walk(root, KINDS, |node, ancestors| {
        visit(node, ancestors, src, &mut facts)
    });
    facts
}

/// The node kinds `visit` looks at.
pub const KINDS: &[&str] = &[
    "call_expression",
    "class_declaration",
    "abstract_class_declaration",
    "variable_declarator",
    "assignment_expression",
    "function_declaration",
    "method_definition",
];

/// The base `derived` records for a local holding the acting user's id (`auth.user.id`).
pub const PRINCIPAL: &str = "@user";

/// A value of the authenticated principal: `ctx.user.email`, `req.user?.id`, `user.id`; or
/// of the server-side session (`session.viewId`, `req.session.userId`, `dataroomSession.
/// viewerId`): the server stored it, the caller cannot choose it.
pub fn principal_value(value: &str) -> bool {
    let v = value.trim().replace("?.", ".").replace("!.", ".");
    // A plain member chain (`session.viewId`), not any text that mentions a session.
    let chain = v
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '.'));
    let session = chain
        && v.split('.').rev().skip(1).any(|part| {
            let part = part.to_ascii_lowercase();
            part == "session" || part.ends_with("session") && !part.ends_with("getsession")
        });
    session
        || ["user.id", "user.email", "user.uid", "user.userId"]
            .iter()
            .any(|tail| v == *tail || v.ends_with(&format!(".{tail}")))
}

/// Is the expression a call that authenticates the caller (`authenticateApiRequest(req)`,
/// `getServerSession(…)`, `requireUser(request)`)?
fn authenticates(value: Node, src: &str) -> bool {
    if value.kind() != "call_expression" {
        return false;
    }
    let Some(function) = value.child_by_field_name("function") else {
        return false;
    };
    let name = match function.kind() {
        "member_expression" => function.child_by_field_name("property"),
        _ => Some(function),
    }
    .map(|n| text(n, src))
    .unwrap_or("");
    name.starts_with("authenticate")
        || ["getServerSession", "getCurrentUser", "currentUser"].contains(&name)
        || name.starts_with("requireUser")
        || name.starts_with("requireAuth")
}

/// One node of the walk; `ancestors` are the node's ancestors, the root first.
pub fn visit(node: Node, ancestors: &[Node], src: &str, facts: &mut PrismaFacts) {
    match node.kind() {
        "call_expression" => {
            if let Some(call) = prisma_call(node, ancestors, src) {
                facts.calls.push(call);
            } else {
                if let Some(call) = method_call(node, ancestors, src) {
                    facts.method_calls.push(call);
                }
                if let Some(row) = query_builder_rows(node, ancestors, src) {
                    facts.query_rows.push(row);
                }
            }
        }
        "class_declaration" | "abstract_class_declaration" => {
            class_facts(node, src, facts);
        }
        "assignment_expression" => {
            facts.derived.extend(derived_local(node, ancestors, src));
        }
        "variable_declarator" => {
            facts.derived.extend(derived_local(node, ancestors, src));
            if let Some(f) = function_info(node, src) {
                facts.methods.push(f);
            }
        }
        "function_declaration" => {
            if let Some(f) = function_info(node, src) {
                facts.methods.push(f);
            }
        }
        // A method of an object literal (class methods are read with their class).
        "method_definition" if node.parent().is_some_and(|p| p.kind() == "object") => {
            let name = node.child_by_field_name("name").map(|n| text(n, src));
            if let (Some(name), Some(owner)) = (name, method_owner(ancestors, src)) {
                facts
                    .methods
                    .push(method_info(node, src, &owner, name, false));
            }
        }
        _ => {}
    }
}

/// Rows that come from elsewhere than a Prisma call: `const rows = await query.execute()`
/// (Kysely, also `executeTakeFirst[OrThrow]`), and `const doc = await createDocument(...)`,
/// a row the code has just created (a `create…` function writes the caller's own tenant).
fn query_builder_rows(node: Node, anc: &[Node], src: &str) -> Option<(String, String, String)> {
    let function = unwrap_expr(node.child_by_field_name("function")?);
    let name = match function.kind() {
        "identifier" => function,
        "member_expression" => function.child_by_field_name("property")?,
        _ => return None,
    };
    let name = text(name, src);
    let creates = name
        .strip_prefix("create")
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()));
    if !creates
        && !matches!(
            name,
            "execute" | "executeTakeFirst" | "executeTakeFirstOrThrow"
        )
    {
        return None;
    }
    let (_, var) = declared_result(node, anc, src)?;
    let (class, method) = enclosing_method(anc, src)?;
    Some((class, method, var))
}

/// The name and function node of `function f() {}` or `const f = () => {}`.
fn named_function<'t>(node: Node<'t>, src: &str) -> Option<(String, Node<'t>)> {
    let name = node.child_by_field_name("name")?;
    let function = match node.kind() {
        "function_declaration" | "generator_function_declaration" => node,
        "variable_declarator" => node
            .child_by_field_name("value")
            .filter(|v| is_function_node(*v))?,
        _ => return None,
    };
    (name.kind() == "identifier").then(|| (text(name, src).to_string(), function))
}

fn is_function_node(n: Node) -> bool {
    matches!(
        n.kind(),
        "arrow_function" | "function_expression" | "function"
    )
}

/// The function a wrapper call is handed, `cache(async (surveyId) => …)`: its callers call
/// the wrapped function with the same arguments.
fn wrapped_function(value: Node) -> Option<Node> {
    if value.kind() != "call_expression" {
        return None;
    }
    let args = value.child_by_field_name("arguments")?;
    let mut c = args.walk();
    let mut functions = args.named_children(&mut c).filter(|a| is_function_node(*a));
    let function = functions.next()?;
    functions.next().is_none().then_some(function)
}

/// A named function's parameters, as a method of class "".
fn function_info(node: Node, src: &str) -> Option<MethodInfo> {
    let (name, function) = named_function(node, src).or_else(|| {
        let name = node
            .child_by_field_name("name")
            .filter(|n| n.kind() == "identifier")?;
        let value = node.child_by_field_name("value")?;
        Some((text(name, src).to_string(), wrapped_function(value)?))
    })?;
    let mut params = Vec::new();
    let mut object_keys = Vec::new();
    if let Some(single) = function.child_by_field_name("parameter") {
        params.push(text(single, src).to_string());
    }
    if let Some(list) = function.child_by_field_name("parameters") {
        let mut c = list.walk();
        for (i, p) in list.named_children(&mut c).enumerate() {
            let Some(pattern) = p.child_by_field_name("pattern") else {
                continue;
            };
            if i == 0 && pattern.kind() == "object_pattern" {
                object_keys = destructured_keys(pattern, src);
            }
            params.push(text(pattern, src).to_string());
        }
    }
    // `(options) => { const { envelopeId } = options; … }`: the same keys.
    if object_keys.is_empty() {
        if let (Some(first), Some(body)) = (params.first(), function.child_by_field_name("body")) {
            object_keys = body_destructuring(body, first, src);
        }
    }
    Some(MethodInfo {
        class: String::new(),
        name,
        private: false,
        params,
        object_keys,
        parent_param: None,
        guards: Vec::new(),
        request_params: Vec::new(),
        principal_params: principal_params(function, src),
        admin: false,
        background: false,
    })
}

/// Keys destructured from `param` by a declaration at the top of a function body.
fn body_destructuring(body: Node, param: &str, src: &str) -> Vec<(String, String)> {
    let mut c = body.walk();
    let mut keys = Vec::new();
    for statement in body.named_children(&mut c) {
        if statement.kind() != "lexical_declaration" {
            continue;
        }
        let mut d = statement.walk();
        for declarator in statement.named_children(&mut d) {
            let (Some(name), Some(value)) = (
                declarator.child_by_field_name("name"),
                declarator.child_by_field_name("value"),
            ) else {
                continue;
            };
            if name.kind() == "object_pattern" && text(unwrap_expr(value), src) == param {
                keys.extend(destructured_keys(name, src));
            }
        }
    }
    keys
}

/// `{ teamId, id: folderId, data = {} }` → (teamId, teamId), (id, folderId), (data, data).
fn destructured_keys(pattern: Node, src: &str) -> Vec<(String, String)> {
    let mut keys = Vec::new();
    let mut c = pattern.walk();
    for part in pattern.named_children(&mut c) {
        match part.kind() {
            "shorthand_property_identifier_pattern" => {
                let k = text(part, src).to_string();
                keys.push((k.clone(), k));
            }
            "object_assignment_pattern" => {
                if let Some(left) = part.child_by_field_name("left") {
                    let k = text(left, src).to_string();
                    keys.push((k.clone(), k));
                }
            }
            "pair_pattern" => {
                if let (Some(k), Some(v)) = (
                    part.child_by_field_name("key"),
                    part.child_by_field_name("value"),
                ) {
                    if v.kind() == "identifier" {
                        keys.push((text(k, src).to_string(), text(v, src).to_string()));
                    }
                }
            }
            _ => {}
        }
    }
    keys
}

/// The (key, value) pairs of an object literal argument; shorthand `{ id }` is (id, id).
fn object_pairs(arg: Node, src: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    if arg.kind() != "object" {
        return pairs;
    }
    let mut c = arg.walk();
    for part in arg.named_children(&mut c) {
        match part.kind() {
            "shorthand_property_identifier" => {
                let k = text(part, src).to_string();
                pairs.push((k.clone(), k));
            }
            "pair" => {
                if let (Some(k), Some(v)) = (
                    part.child_by_field_name("key"),
                    part.child_by_field_name("value"),
                ) {
                    pairs.push((text(k, src).to_string(), text(v, src).to_string()));
                }
            }
            _ => {}
        }
    }
    pairs
}

/// `const x = <expr>` (or `const { a, b: c } = <expr>`) inside a method or function, with the
/// identifier the expression is built on: one (class, method, variable, base) per variable.
fn derived_local(node: Node, anc: &[Node], src: &str) -> Vec<(String, String, String, String)> {
    // `const ids = …`, or a later `ids = …` (`let ids = []; if (rows.length) ids = rows.map(…)`).
    let (name, value) = match node.kind() {
        "assignment_expression" => ("left", "right"),
        _ => ("name", "value"),
    };
    let (Some(name), Some(value)) = (
        node.child_by_field_name(name),
        node.child_by_field_name(value).map(unwrap_expr),
    ) else {
        return Vec::new();
    };
    if value.kind() == "call_expression" && text(value, src).starts_with("this.") {
        return Vec::new();
    }
    let locals = pattern_locals(name, src);
    // `const presenter = new WebhookDetailPresenter(db)`: an instance of that class.
    let constructed = (value.kind() == "new_expression")
        .then(|| value.child_by_field_name("constructor"))
        .flatten()
        .filter(|c| c.kind() == "identifier")
        .map(|c| text(c, src));
    let base = constructed
        .unwrap_or_else(|| crate::analyzers::provenance::base_identifier(text(value, src)));
    // `const userId = auth.user.id`: the acting user, whatever the object is called; and what
    // an authentication call returns (`await authenticateApiRequest(request)`: the API key's
    // environment).
    let base = if principal_value(text(value, src)) || authenticates(value, src) {
        PRINCIPAL
    } else {
        base
    };
    let mut bases = vec![base.to_string()];
    // `getDefaultProgramId(workspace)`: also built on its first argument.
    if value.kind() == "call_expression" {
        let first = value
            .child_by_field_name("arguments")
            .and_then(|a| a.named_child(0))
            .filter(|a| a.kind() == "identifier");
        bases.extend(first.map(|a| text(a, src).to_string()));
    }
    bases.retain(|b| !b.is_empty());
    let Some((class, method)) = (!bases.is_empty() && !locals.is_empty())
        .then(|| enclosing_method(anc, src))
        .flatten()
    else {
        return Vec::new();
    };
    locals
        .iter()
        .flat_map(|local| {
            bases
                .iter()
                .map(|b| (class.clone(), method.clone(), local.clone(), b.clone()))
        })
        .collect()
}

/// `this.m(args)` / `this.field.m(args)` inside a class method, or `f(args)` inside a method
/// or a named function.
fn method_call(node: Node, anc: &[Node], src: &str) -> Option<MethodCall> {
    // `await this.m<T>(x)` parses with the await inside the call's function.
    let function = unwrap_expr(node.child_by_field_name("function")?);
    let (target, object, method, free) = match function.kind() {
        "identifier" => (None, None, text(function, src).to_string(), true),
        "member_expression" => {
            let receiver = function.child_by_field_name("object")?;
            let (target, object) = match receiver.kind() {
                "this" => (None, None),
                "member_expression"
                    if receiver
                        .child_by_field_name("object")
                        .is_some_and(|o| o.kind() == "this") =>
                {
                    let field = receiver.child_by_field_name("property")?;
                    (Some(text(field, src).to_string()), None)
                }
                // `conversationService.get(id)`, not `items.map(…)` or `res.json(…)`: calls of
                // built-in methods and globals are no service calls (and are most calls).
                "identifier" if !plain_call(receiver, function, src) => {
                    (None, Some(text(receiver, src).to_string()))
                }
                _ => return None,
            };
            let method = text(function.child_by_field_name("property")?, src).to_string();
            (target, object, method, false)
        }
        _ => return None,
    };
    let (class, caller) = enclosing_method(anc, src)?;
    let args_node = node.child_by_field_name("arguments")?;
    let mut c = args_node.walk();
    let arg_nodes: Vec<Node> = args_node.named_children(&mut c).collect();
    Some(MethodCall {
        class,
        caller,
        target,
        object,
        method,
        free,
        args: arg_nodes
            .iter()
            .map(|a| text(*a, src).to_string())
            .collect(),
        named_args: arg_nodes
            .first()
            .map(|a| object_pairs(unwrap_expr(*a), src))
            .unwrap_or_default(),
        row_aliases: row_aliases(anc, src),
        result: result_locals(node, anc, src),
        line: node.start_position().row + 1,
        result_fields: {
            let scope = anc
                .iter()
                .rev()
                .find(|n| FUNCTIONS.contains(&n.kind()))
                .copied();
            result_fields(node, anc, src, scope, true)
        },
        procedure: trpc_procedure(anc, src),
        place: Place::of(node, anc, src),
    })
}

/// Is `object.method(…)` a call of a built-in method or global (`rows.map`, `res.json`,
/// `console.log`, `JSON.parse`) rather than of a service?
fn plain_call(object: Node, function: Node, src: &str) -> bool {
    const OBJECTS: &[&str] = &[
        "console", "JSON", "Object", "Array", "Math", "Promise", "Date", "Number", "String", "res",
        "req", "request", "response", "reply", "ctx", "c", "z", "prisma", "tx", "db", "process",
        "Buffer", "crypto", "logger", "log",
    ];
    const METHODS: &[&str] = &[
        "map",
        "filter",
        "forEach",
        "reduce",
        "find",
        "findIndex",
        "some",
        "every",
        "includes",
        "push",
        "pop",
        "shift",
        "slice",
        "splice",
        "concat",
        "join",
        "split",
        "trim",
        "sort",
        "flatMap",
        "flat",
        "indexOf",
        "startsWith",
        "endsWith",
        "replace",
        "replaceAll",
        "toLowerCase",
        "toUpperCase",
        "toString",
        "toISOString",
        "getTime",
        "then",
        "catch",
        "finally",
        "json",
        "status",
        "send",
        "end",
        "header",
        "setHeader",
        "redirect",
        "log",
        "error",
        "warn",
        "info",
        "debug",
        "has",
        "add",
        "keys",
        "values",
        "entries",
        "parse",
        "safeParse",
        "stringify",
        "emit",
        "on",
        "once",
        "pipe",
        "subscribe",
        "next",
        "test",
        "match",
        "exec",
        "at",
        "fill",
        "padStart",
        "padEnd",
        "trimEnd",
        "trimStart",
        "assign",
    ];
    let method = function
        .child_by_field_name("property")
        .map(|p| text(p, src))
        .unwrap_or("");
    OBJECTS.contains(&text(object, src)) || METHODS.contains(&method)
}

/// The locals `const x = await <call>` or `const { a, b: c } = await <call>` declares.
fn result_locals(node: Node, anc: &[Node], src: &str) -> Vec<String> {
    let (_, parent, _) = value_holder(node, anc);
    let Some(name) = parent
        .filter(|p| p.kind() == "variable_declarator")
        .and_then(|p| p.child_by_field_name("name"))
    else {
        return Vec::new();
    };
    pattern_locals(name, src)
}

/// The locals a declaration's name binds: `x`, or the locals of `{ a, b: c }`.
fn pattern_locals(name: Node, src: &str) -> Vec<String> {
    // Nested patterns too: `{ conversations: [conversationId], ...rest } = req.query`.
    let mut locals = Vec::new();
    bound_names(name, src, &mut locals, 0);
    locals.into_iter().map(str::to_string).collect()
}

/// `node` is a call; `anc` its ancestors, the root first.
fn prisma_call<'t>(node: Node<'t>, anc: &[Node<'t>], src: &str) -> Option<PrismaCall> {
    let function = unwrap_expr(node.child_by_field_name("function")?);
    if function.kind() != "member_expression" {
        return None;
    }
    let op = text(function.child_by_field_name("property")?, src);
    if !OPERATIONS.contains(&op) {
        return None;
    }
    let delegate = unwrap_expr(function.child_by_field_name("object")?);
    if delegate.kind() != "member_expression" {
        return None;
    }
    let accessor_node = delegate.child_by_field_name("property")?;
    if accessor_node.kind() != "property_identifier" {
        return None;
    }
    let receiver = unwrap_expr(delegate.child_by_field_name("object")?);
    let receiver_text = text(receiver, src);
    // Drizzle's relational API (`db.query.users.findMany`) has the same shape.
    if receiver_text.ends_with(".query") || receiver_text.contains('\n') {
        return None;
    }
    let args = node.child_by_field_name("arguments")?;
    let first = args.named_child(0).map(unwrap_expr);
    let scope_at = anc.iter().rposition(|n| FUNCTIONS.contains(&n.kind()));
    let scope = scope_at.map(|i| anc[i]).or_else(|| anc.first().copied());
    let selected = first
        .filter(|obj| obj.kind() == "object")
        .and_then(|obj| property(obj, "select", src))
        .map(|sel| {
            object_pairs(unwrap_expr(sel), src)
                .into_iter()
                .map(|(k, _)| k)
                .collect()
        })
        .unwrap_or_default();
    let grouped_by = first
        .filter(|obj| obj.kind() == "object" && op == "groupBy")
        .and_then(|obj| property(obj, "by", src))
        .filter(|by| by.kind() == "array")
        .map(|by| {
            let mut c = by.walk();
            by.named_children(&mut c)
                .filter(|item| item.kind() == "string")
                .map(|item| text(item, src).trim_matches(['"', '\'', '`']).to_string())
                .collect()
        })
        .unwrap_or_default();
    let (filter, bounded) = match first {
        None => (
            Filter {
                absent: true,
                ..Filter::default()
            },
            false,
        ),
        Some(obj) if obj.kind() == "object" => {
            let where_value = property(obj, "where", src);
            let filter = match where_value {
                None => Filter {
                    absent: !has_spread(obj),
                    unknown: has_spread(obj),
                    ..Filter::default()
                },
                Some(v) => describe_filter(v, src, scope, 0),
            };
            let bounded = property(obj, "take", src).is_some()
                || property(obj, "cursor", src).is_some()
                || has_spread(obj);
            (filter, bounded)
        }
        Some(other) => {
            // `findMany(args)`: resolve a local object, else unknown.
            match resolve_object(other, src, scope) {
                Some(obj) => {
                    let filter = property(obj, "where", src)
                        .map(|v| describe_filter(v, src, scope, 0))
                        .unwrap_or(Filter {
                            absent: true,
                            ..Filter::default()
                        });
                    let bounded = property(obj, "take", src).is_some()
                        || property(obj, "cursor", src).is_some();
                    (filter, bounded)
                }
                None => (
                    Filter {
                        unknown: true,
                        ..Filter::default()
                    },
                    true,
                ),
            }
        }
    };
    let pos = node.start_position();
    let line_text = src.lines().nth(pos.row).unwrap_or("").trim();
    Some(PrismaCall {
        receiver: receiver_text.to_string(),
        accessor: text(accessor_node, src).to_string(),
        op: op.to_string(),
        line: pos.row + 1,
        column: pos.column + 1,
        snippet: line_text.chars().take(120).collect(),
        filter,
        bounded,
        in_loop: loop_around(node, anc, src, op),
        returned: result_leaves(node, anc, src, scope),
        result_fields: result_fields(node, anc, src, scope, false),
        in_route_callback: scope_at.is_some_and(|i| is_route_callback(&anc[..i], src)),
        procedure: trpc_procedure(anc, src),
        method: enclosing_method(anc, src),
        result_var: declared_result(node, anc, src).map(|(_, v)| v),
        result_checked: result_checked(node, anc, src, scope),
        row_aliases: row_aliases(anc, src),
        scope_start: scope.map(|s| s.start_byte()).unwrap_or(0),
        selected,
        grouped_by,
        exists_only: exists_only(node, anc, src, scope),
        place: Place::of(node, anc, src),
        secret_gate: scope.and_then(|f| secret_gate(&src[f.start_byte()..node.start_byte()])),
        result_tested: result_tested(node, anc, src, scope),
    })
}

/// The environment secret a line of `before` compares with (`x !== process.env.CRON_SECRET`,
/// `` === `Bearer ${process.env.API_TOKEN}` ``): machine-to-machine code checks it first.
fn secret_gate(before: &str) -> Option<String> {
    before
        .lines()
        .filter(|l| l.contains("==") || l.contains("!="))
        .flat_map(|l| l.split("process.env.").skip(1))
        .map(|rest| {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .find(|name| ["SECRET", "TOKEN"].iter().any(|w| name.contains(w)))
        .map(str::to_string)
}

/// Is the stored result tested for absence after the call (`if (!row)`, `row === null`,
/// `if (row)`), or read in a way that throws when it is missing (`row.name`)?
fn result_tested(node: Node, anc: &[Node], src: &str, scope: Option<Node>) -> bool {
    let Some((var, body)) = stored_result(node, anc, src, scope) else {
        return false;
    };
    let tested = uses_of(body, &var).any(|(before, after)| {
        let before = before.trim_end();
        let compared = [
            "=== null",
            "== null",
            "!== null",
            "!= null",
            "=== undefined",
            "!== undefined",
        ]
        .iter()
        .any(|t| after.trim_start().starts_with(t));
        let bare_if = before.ends_with("if (") && after.trim_start().starts_with(')');
        // `row.name` (also `row!.name`) throws on a missing row; `row?.name` does not.
        let dereferenced = after.starts_with('.') || after.starts_with("!.");
        before.ends_with('!') || compared || bare_if || dereferenced
    });
    tested
}

/// The local a call's result is stored in, and the text of the function after that
/// declaration.
fn stored_result<'s>(
    node: Node,
    anc: &[Node],
    src: &'s str,
    scope: Option<Node>,
) -> Option<(String, &'s str)> {
    let ((decl, var), scope) = (declared_result(node, anc, src)?, scope?);
    Some((
        var,
        &src[decl.end_byte()..scope.end_byte().max(decl.end_byte())],
    ))
}

/// Is the call's stored result used only as a yes/no (`isDefined(r)`, `!r`, `Boolean(r)`,
/// `if (r)`, `r !== null`)?
fn exists_only(node: Node, anc: &[Node], src: &str, scope: Option<Node>) -> bool {
    let Some((var, body)) = stored_result(node, anc, src, scope) else {
        return false;
    };
    let mut uses = uses_of(body, &var).peekable();
    uses.peek().is_some()
        && uses.all(|(before, after)| {
            let (before, after) = (before.trim_end(), after.trim_start());
            ["isDefined(", "Boolean(", "!"]
                .iter()
                .any(|w| before.ends_with(w))
                || before.ends_with("if (") && after.starts_with(')')
                || [
                    "!== null",
                    "!= null",
                    "=== null",
                    "== null",
                    "!== undefined",
                    "=== undefined",
                ]
                .iter()
                .any(|w| after.starts_with(w))
        })
}

/// Each whole-word use of `var` in `body`: the text before it and the text after it.
fn uses_of<'b>(body: &'b str, var: &'b str) -> impl Iterator<Item = (&'b str, &'b str)> + 'b {
    let bytes = body.as_bytes();
    body.match_indices(var).filter_map(move |(at, _)| {
        let end = at + var.len();
        let whole = (at == 0 || !is_ident_byte(bytes[at - 1]))
            && (end == bytes.len() || !is_ident_byte(bytes[end]));
        whole.then(|| (&body[..at], &body[end..]))
    })
}

/// The value of `key: value` (or shorthand `key`) in an object literal.
fn property<'t>(obj: Node<'t>, key: &str, src: &str) -> Option<Node<'t>> {
    let mut c = obj.walk();
    let found = obj
        .named_children(&mut c)
        .find_map(|child| match child.kind() {
            "pair" => {
                let k = child.child_by_field_name("key")?;
                (key_name(k, src)? == key).then(|| child.child_by_field_name("value"))?
            }
            "shorthand_property_identifier" => (text(child, src) == key).then_some(child),
            _ => None,
        });
    found
}

fn has_spread(obj: Node) -> bool {
    let mut c = obj.walk();
    let found = obj
        .named_children(&mut c)
        .any(|n| n.kind() == "spread_element");
    found
}

fn key_name<'a>(key: Node, src: &'a str) -> Option<&'a str> {
    match key.kind() {
        "property_identifier" => Some(text(key, src)),
        "string" => Some(text(key, src).trim_matches(|c| c == '"' || c == '\'')),
        _ => None, // computed keys
    }
}

/// The filter a `where` value describes.
fn describe_filter(value: Node, src: &str, scope: Option<Node>, depth: usize) -> Filter {
    let value = unwrap_expr(value);
    let mut f = Filter::default();
    if depth > MAX_DEPTH {
        f.unknown = true;
        return f;
    }
    let obj = if value.kind() == "object" {
        Some(value)
    } else {
        resolve_object(value, src, scope)
    };
    let Some(obj) = obj else {
        f.unknown = true;
        return f;
    };
    // Fields assigned later: `where.workspaceId = id`.
    if is_identifier(value) {
        for field in member_assignments(text(value, src), src, scope) {
            f.constrained.push(vec![field.clone()]);
            f.used.push(field);
        }
    }
    let mut c = obj.walk();
    for child in obj.named_children(&mut c) {
        match child.kind() {
            "shorthand_property_identifier" => {
                let name = text(child, src).to_string();
                f.constrained.push(vec![name.clone()]);
                f.values.push((name.clone(), name.clone()));
                f.used.push(name);
            }
            "pair" => {
                let Some(key) = child.child_by_field_name("key") else {
                    continue;
                };
                let Some(name) = key_name(key, src) else {
                    f.unknown = true;
                    continue;
                };
                let Some(v) = child.child_by_field_name("value") else {
                    continue;
                };
                combine(&mut f, name, v, src, scope, depth);
            }
            "spread_element" => {
                let inner = child.named_child(0).map(unwrap_expr);
                match inner.map(|i| describe_filter(i, src, scope, depth + 1)) {
                    Some(sub) if !sub.unknown || !sub.constrained.is_empty() => {
                        f.absorb(sub);
                    }
                    _ => f.unknown = true,
                }
            }
            "comment" => {}
            _ => f.unknown = true,
        }
    }
    f
}

fn combine(f: &mut Filter, name: &str, v: Node, src: &str, scope: Option<Node>, depth: usize) {
    let v = unwrap_expr(v);
    match name {
        "AND" => {
            for sub in branches(v, src, scope, depth) {
                f.absorb(sub);
            }
        }
        "OR" => {
            let subs = branches(v, src, scope, depth);
            // Only what every branch constrains holds for every row.
            if let Some((first, rest)) = subs.split_first() {
                for path in &first.constrained {
                    if rest.iter().all(|s| s.constrained.contains(path)) {
                        f.constrained.push(path.clone());
                    }
                }
            }
            if !subs.is_empty() {
                f.or_groups
                    .push(subs.iter().map(|s| s.constrained.clone()).collect());
            }
            for s in &subs {
                f.used.extend(s.used.iter().cloned());
                f.unknown |= s.unknown;
            }
        }
        "NOT" => {
            for s in branches(v, src, scope, depth) {
                f.used.extend(s.used);
            }
        }
        _ => {
            f.used.push(name.to_string());
            f.constrained.push(vec![name.to_string()]);
            // A compound key given its parts (`id_createdAt: { id: d.id, createdAt: d.createdAt
            // }`, Prisma's `a_b` name): each part is a value compared with its column.
            let parts = (v.kind() == "object")
                .then(|| object_pairs(v, src))
                .filter(|pairs| {
                    pairs.len() > 1
                        && pairs
                            .iter()
                            .map(|(k, _)| k.as_str())
                            .collect::<Vec<_>>()
                            .join("_")
                            == name
                });
            match parts {
                Some(pairs) => f.values.extend(pairs),
                None => f.values.push((name.to_string(), text(v, src).to_string())),
            }
            if v.kind() == "object"
                && ["contains", "endsWith", "search"]
                    .iter()
                    .any(|op| property(v, op, src).is_some())
            {
                f.fuzzy.push(name.to_string());
            }
            // A relation filter or a compound key: `{ project: { workspaceId } }`.
            if v.kind() == "object" {
                let sub = describe_filter(v, src, scope, depth + 1);
                f.nested_values
                    .extend(sub.values.iter().map(|(_, value)| value.clone()));
                f.nested_values.extend(sub.nested_values.iter().cloned());
                for path in sub.constrained {
                    // `some` / `is` wrap a relation filter; `every` / `none` / `isNot` / `not` do not scope.
                    let path: Vec<String> = match path.first().map(String::as_str) {
                        Some("every" | "none" | "isNot" | "not") => continue,
                        Some("some" | "is") => path[1..].to_vec(),
                        _ => path,
                    };
                    let mut full = vec![name.to_string()];
                    full.extend(path);
                    f.constrained.push(full);
                }
            }
        }
    }
}

/// The filters of an AND/OR/NOT value: an array of objects, or one object.
fn branches(v: Node, src: &str, scope: Option<Node>, depth: usize) -> Vec<Filter> {
    if v.kind() == "array" {
        let mut c = v.walk();
        let items: Vec<Node> = v.named_children(&mut c).collect();
        items
            .into_iter()
            .map(|item| describe_filter(item, src, scope, depth + 1))
            .collect()
    } else {
        vec![describe_filter(v, src, scope, depth + 1)]
    }
}

/// An identifier bound to an object literal in the enclosing function (or at top level).
fn resolve_object<'t>(node: Node<'t>, src: &str, scope: Option<Node<'t>>) -> Option<Node<'t>> {
    if !is_identifier(node) {
        return None;
    }
    let name = text(node, src);
    let search = scope?;
    let mut found = None;
    let mut cursor = search.walk();
    'walk: loop {
        let n = cursor.node();
        if n.kind() == "variable_declarator"
            && n.start_byte() < node.start_byte()
            && n.child_by_field_name("name")
                .is_some_and(|id| text(id, src) == name)
        {
            found = n.child_by_field_name("value").map(unwrap_expr);
        }
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() || cursor.node() == search {
                break 'walk;
            }
        }
    }
    found.filter(|v| v.kind() == "object")
}

/// `name.field = ...` assignments in the scope.
fn member_assignments(name: &str, src: &str, scope: Option<Node>) -> Vec<String> {
    let Some(scope) = scope else {
        return Vec::new();
    };
    let body = text(scope, src);
    let mut out = Vec::new();
    let prefix = format!("{name}.");
    let mut rest = body;
    while let Some(i) = rest.find(&prefix) {
        let before_ok = i == 0 || !is_ident_byte(rest.as_bytes()[i - 1]);
        let after = &rest[i + prefix.len()..];
        let field: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let tail = after[field.len()..].trim_start();
        if before_ok && !field.is_empty() && tail.starts_with('=') && !tail.starts_with("==") {
            out.push(field);
        }
        rest = &rest[i + prefix.len()..];
    }
    out
}

/// `x`, or the shorthand `{ x }` that stands for `{ x: x }`.
fn is_identifier(node: Node) -> bool {
    matches!(node.kind(), "identifier" | "shorthand_property_identifier")
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

const FUNCTIONS: &[&str] = &[
    "function_declaration",
    "function_expression",
    "function",
    "arrow_function",
    "method_definition",
    "generator_function_declaration",
];

/// The loop the call is awaited in, or the `.map(async ...)`-style callback it runs in, when
/// the call runs once per item: its arguments use the item (the loop's or callback's binding,
/// or a variable declared in its body) as a value. A call whose only use of the item is a set
/// (`id: { in: ids }`, the `data` of a `*Many`) is already batched; a `while` loop has no
/// item (pages, retries, batch drains, chain walks) unless it indexes a collection by its
/// counter or uses a variable its body declares; a loop over a literal or SCREAMING_CASE
/// constant list has none either.
/// A loop over batches (`for (const batch of chunk(ids, 500))`, `chunks.map(…)`): the code
/// already fetches many rows per round trip, one round trip per batch by design.
fn batched(node: Option<Node>, src: &str) -> bool {
    node.is_some_and(|n| {
        let t = text(n, src).to_ascii_lowercase();
        t.contains("chunk") || t.contains("batch")
    })
}

fn loop_around(node: Node, anc: &[Node], src: &str, op: &str) -> Option<usize> {
    let mut awaited = false;
    let mut child = node;
    for (i, &p) in anc.iter().enumerate().rev() {
        match p.kind() {
            "await_expression" => awaited = true,
            "for_statement" | "for_in_statement" if awaited && is_loop_body(p, child) => {
                let head = match p.kind() {
                    "for_statement" => p.child_by_field_name("initializer"),
                    _ => p.child_by_field_name("left"),
                };
                let list = p.child_by_field_name("right");
                let fixed = list.is_some_and(|list| constant_list(list, src))
                    || batched(head, src)
                    || batched(list, src);
                if !fixed && uses_item(node, head, child, src, op) {
                    return Some(p.start_position().row + 1);
                }
            }
            // `while (i < items.length) { ... items[i] ... }` walks a collection by index.
            "while_statement" | "do_statement" if awaited && is_loop_body(p, child) => {
                let mut counters = Vec::new();
                if let Some(cond) = p.child_by_field_name("condition") {
                    bound_names(cond, src, &mut counters, 0);
                }
                let walks = node
                    .child_by_field_name("arguments")
                    .is_some_and(|args| indexes_by(args, &counters, src, 0));
                if walks || uses_item(node, None, child, src, op) {
                    return Some(p.start_position().row + 1);
                }
            }
            k if FUNCTIONS.contains(&k) => {
                // A callback passed to `.map` / `.forEach` / `.flatMap` over a collection.
                let call = callee_of_callback(&anc[..i])?;
                let f = call.child_by_field_name("function")?;
                if f.kind() != "member_expression" {
                    return None;
                }
                let method = text(f.child_by_field_name("property")?, src);
                let is_async = text(p, src).starts_with("async");
                if !(is_async && matches!(method, "map" | "forEach" | "flatMap")) {
                    return None;
                }
                let list = f.child_by_field_name("object");
                let fixed = list.is_some_and(|list| constant_list(list, src)) || batched(list, src);
                let params = p
                    .child_by_field_name("parameters")
                    .or_else(|| p.child_by_field_name("parameter"));
                let body = p.child_by_field_name("body")?;
                if !fixed && uses_item(node, params, body, src, op) {
                    return Some(call.start_position().row + 1);
                }
                // Not per item here; an enclosing loop may still be.
                awaited = false;
            }
            _ => {}
        }
        child = p;
    }
    None
}

/// `['a', 'b']`, `[...]`, or `ROLE_TYPES` (also `.filter(...)`ed): a fixed list, not a
/// collection of records.
fn constant_list(list: Node, src: &str) -> bool {
    if list.kind() == "call_expression" {
        let filtered = list.child_by_field_name("function").and_then(|f| {
            let method = text(f.child_by_field_name("property")?, src);
            matches!(method, "filter" | "slice")
                .then(|| f.child_by_field_name("object"))
                .flatten()
        });
        return filtered.is_some_and(|l| constant_list(l, src));
    }
    let name = text(list, src);
    list.kind() == "array"
        || (list.kind() == "identifier"
            && name.bytes().any(|b| b.is_ascii_uppercase())
            && name
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'))
}

/// Do the call's arguments use the item: a name bound in `head` (`const { id } of`, `(u) =>`,
/// `let i = 0`) or declared in `body` before the call?
fn uses_item(call: Node, head: Option<Node>, body: Node, src: &str, op: &str) -> bool {
    let mut names: Vec<&str> = Vec::new();
    if let Some(head) = head {
        bound_names(head, src, &mut names, 0);
    }
    declared_before(body, call.start_byte(), src, &mut names, 0);
    let Some(args) = call.child_by_field_name("arguments") else {
        return false;
    };
    !names.is_empty() && refers_per_item(args, &names, src, op.ends_with("Many"), 0)
}

/// The identifiers a binding pattern introduces (`x`, `{ a, b: c }`, `[k, v]`, `let i = 0`).
fn bound_names<'s>(node: Node, src: &'s str, out: &mut Vec<&'s str>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match node.kind() {
        "identifier" | "shorthand_property_identifier_pattern" => out.push(text(node, src)),
        // `{ key: value }` in a pattern binds the value side; a default's value binds nothing.
        "pair_pattern" => {
            if let Some(v) = node.child_by_field_name("value") {
                bound_names(v, src, out, depth + 1);
            }
        }
        "variable_declarator" | "assignment_pattern" | "object_assignment_pattern" => {
            if let Some(n) = node
                .child_by_field_name("name")
                .or_else(|| node.child_by_field_name("left"))
            {
                bound_names(n, src, out, depth + 1);
            }
        }
        "type_annotation" => {}
        _ => {
            let mut cursor = node.walk();
            for c in node.named_children(&mut cursor) {
                bound_names(c, src, out, depth + 1);
            }
        }
    }
}

/// Variables declared in `body` before byte `before` (per iteration, so derived from the item).
fn declared_before<'s>(
    body: Node,
    before: usize,
    src: &'s str,
    out: &mut Vec<&'s str>,
    depth: usize,
) {
    if body.start_byte() >= before || depth > MAX_DEPTH {
        return;
    }
    if body.kind() == "variable_declarator" {
        if let Some(n) = body.child_by_field_name("name") {
            bound_names(n, src, out, 0);
        }
    }
    if FUNCTIONS.contains(&body.kind()) && body.parent().is_some() {
        // A nested function's locals are not the loop's.
        return;
    }
    let mut cursor = body.walk();
    for c in body.named_children(&mut cursor) {
        declared_before(c, before, src, out, depth + 1);
    }
}

/// Is there an `x[i]` in `node` with `i` one of `counters`?
fn indexes_by(node: Node, counters: &[&str], src: &str, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    if node.kind() == "subscript_expression" {
        if let Some(i) = node.child_by_field_name("index") {
            if i.kind() == "identifier" && counters.contains(&text(i, src)) {
                return true;
            }
        }
    }
    let mut cursor = node.walk();
    let children: Vec<Node> = node.named_children(&mut cursor).collect();
    children
        .into_iter()
        .any(|c| indexes_by(c, counters, src, depth + 1))
}

/// Does `node` name one of `names` outside a set-valued position (`in:`, `notIn:`,
/// `hasSome:`, `hasEvery:`, and the `data` of a `*Many` call)?
fn refers_per_item(node: Node, names: &[&str], src: &str, many: bool, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match node.kind() {
        "identifier" | "shorthand_property_identifier" => names.contains(&text(node, src)),
        "pair" => {
            let key = node
                .child_by_field_name("key")
                .map(|k| text(k, src).trim_matches(|c| c == '\'' || c == '"'))
                .unwrap_or("");
            if matches!(key, "in" | "notIn" | "hasSome" | "hasEvery") || (many && key == "data") {
                return false;
            }
            node.child_by_field_name("value")
                .is_some_and(|v| refers_per_item(v, names, src, many, depth + 1))
        }
        // `x.id` names `x`; the property is not a variable.
        "member_expression" => node
            .child_by_field_name("object")
            .is_some_and(|o| refers_per_item(o, names, src, many, depth + 1)),
        _ => {
            let mut cursor = node.walk();
            let children: Vec<Node> = node.named_children(&mut cursor).collect();
            children
                .into_iter()
                .any(|c| refers_per_item(c, names, src, many, depth + 1))
        }
    }
}

/// For a function whose ancestors are `anc`: the call it is an argument of.
fn callee_of_callback<'t>(anc: &[Node<'t>]) -> Option<Node<'t>> {
    match anc {
        [.., call, args] if args.kind() == "arguments" && call.kind() == "call_expression" => {
            Some(*call)
        }
        _ => None,
    }
}

/// The outermost expression that is the call's value (through await, parentheses, `as`),
/// and the node that holds it.
fn value_holder<'t>(node: Node<'t>, anc: &[Node<'t>]) -> (Node<'t>, Option<Node<'t>>, usize) {
    let mut top = node;
    let mut i = anc.len();
    // `cond ? await a() : await b()`: either branch is the value (the condition is not).
    let branch_of = |t: Node, top: Node| {
        t.kind() == "ternary_expression" && t.child_by_field_name("condition") != Some(top)
    };
    while i > 0
        && (matches!(
            anc[i - 1].kind(),
            "await_expression"
                | "parenthesized_expression"
                | "as_expression"
                | "non_null_expression"
        ) || branch_of(anc[i - 1], top))
    {
        top = anc[i - 1];
        i -= 1;
    }
    (top, i.checked_sub(1).map(|j| anc[j]), i)
}

/// Is `child` the loop's body (not its condition or iterable)?
fn is_loop_body(lp: Node, child: Node) -> bool {
    lp.child_by_field_name("body").is_some_and(|b| b == child)
}

/// Does the call's result leave its function (returned, or sent as the response)?
fn result_leaves(node: Node, anc: &[Node], src: &str, scope: Option<Node>) -> bool {
    let (top, parent, at) = value_holder(node, anc);
    let Some(parent) = parent else {
        return false;
    };
    match parent.kind() {
        "return_statement" => true,
        "arrow_function" => parent.child_by_field_name("body") == Some(top),
        "arguments" => at >= 2 && sends_response(anc[at - 2], src),
        "variable_declarator" => {
            stored_result(node, anc, src, scope).is_some_and(|(var, body)| flows_out(&var, body))
        }
        // `let row; try { row = await … } catch …; return transform(row)`.
        "assignment_expression" => {
            let var = parent
                .child_by_field_name("left")
                .filter(|l| l.kind() == "identifier");
            match (var, scope) {
                (Some(var), Some(scope)) if scope.end_byte() > parent.end_byte() => {
                    flows_out(text(var, src), &src[parent.end_byte()..scope.end_byte()])
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// The declarator `const x = await <call>` the call initialises, if any.
fn declared_result<'t>(node: Node<'t>, anc: &[Node<'t>], src: &str) -> Option<(Node<'t>, String)> {
    // `await prisma.x.findFirst(...).catch(() => null)`: the result is still the row.
    if let [.., call, member] = anc {
        let catches = member.kind() == "member_expression"
            && member
                .child_by_field_name("property")
                .is_some_and(|p| text(p, src) == "catch")
            && call.kind() == "call_expression";
        if catches {
            return declared_result(*call, &anc[..anc.len() - 2], src);
        }
    }
    // `const [user, doc] = await Promise.all([prisma.user…, prisma.doc…])`: by position.
    if let [.., all, args, array] = anc {
        let is_all = all.kind() == "call_expression"
            && args.kind() == "arguments"
            && array.kind() == "array"
            && all
                .child_by_field_name("function")
                .is_some_and(|f| text(f, src) == "Promise.all");
        if is_all {
            let mut c = array.walk();
            let at = array.named_children(&mut c).position(|e| e == node)?;
            let (_, parent, _) = value_holder(*all, &anc[..anc.len() - 3]);
            let parent = parent.filter(|p| p.kind() == "variable_declarator")?;
            let names = parent
                .child_by_field_name("name")
                .filter(|n| n.kind() == "array_pattern")?;
            let mut c = names.walk();
            let name = names.named_children(&mut c).nth(at)?;
            return (name.kind() == "identifier").then(|| (parent, text(name, src).to_string()));
        }
    }
    // `const row = await …`, or `row = await …` (`let row = null; if (id) row = await …`).
    let (top, parent, _) = value_holder(node, anc);
    let parent = parent?;
    let name = match parent.kind() {
        "variable_declarator" => parent.child_by_field_name("name")?,
        "assignment_expression" if parent.child_by_field_name("right") == Some(top) => {
            parent.child_by_field_name("left")?
        }
        _ => return None,
    };
    (name.kind() == "identifier").then(|| (parent, text(name, src).to_string()))
}

/// `x.field` / `x?.field` reads of the call's result after it, in the same function; with
/// `chain`, every member of `x.right.teamID` (a row wrapped in an `Either`).
fn result_fields(
    node: Node,
    anc: &[Node],
    src: &str,
    scope: Option<Node>,
    chain: bool,
) -> Vec<String> {
    let Some((var, body)) = stored_result(node, anc, src, scope) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (_, after) in uses_of(body, &var) {
        let mut rest = after;
        while let Some(after) = rest
            .strip_prefix("?.")
            .or_else(|| rest.strip_prefix("!."))
            .or_else(|| rest.strip_prefix('.'))
        {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let field = &after[..len];
            if field.is_empty() {
                break;
            }
            if !out.iter().any(|f| f == field) {
                out.push(field.to_string());
            }
            if !chain {
                break;
            }
            rest = &after[len..];
        }
    }
    out
}

/// Is the stored result passed to a function whose name says it checks access?
fn result_checked(node: Node, anc: &[Node], src: &str, scope: Option<Node>) -> bool {
    static CHECK: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"\b\w*(?:[Cc]heck|[Aa]ssert|[Vv]erify|[Aa]uthori[sz]e|[Ee]nsure|[Cc]an[A-Z]|[Aa]ccess|[Pp]ermission|[Ff]orbidden|[Aa]llowed)\w*\s*\(([^()]*)\)",
        )
        .expect("static regex")
    });
    let Some((var, body)) = stored_result(node, anc, src, scope) else {
        return false;
    };
    CHECK
        .captures_iter(body)
        .any(|c| c.get(1).is_some_and(|args| mentions(args.as_str(), &var)))
}

/// `for (const r of rows)` and `rows.map((r) => ...)` around the call: r stands for a row
/// (also of `row.children`).
fn row_aliases(anc: &[Node], src: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, n) in anc.iter().enumerate() {
        match n.kind() {
            "for_in_statement" => {
                let left = n.child_by_field_name("left");
                let right = n.child_by_field_name("right").map(unwrap_expr);
                if let (Some(l), Some(r)) = (left, right) {
                    if l.kind() == "identifier"
                        && matches!(r.kind(), "identifier" | "member_expression")
                    {
                        out.push((text(l, src).to_string(), text(r, src).to_string()));
                    }
                }
            }
            k if FUNCTIONS.contains(&k) => {
                let Some(call) = callee_of_callback(&anc[..i]) else {
                    continue;
                };
                let Some(f) = call
                    .child_by_field_name("function")
                    .filter(|f| f.kind() == "member_expression")
                else {
                    continue;
                };
                let (Some(object), Some(method)) = (
                    f.child_by_field_name("object").map(unwrap_expr),
                    f.child_by_field_name("property"),
                ) else {
                    continue;
                };
                // `rows.map(…)`, also over a row's relation list (`folder.childFolders.map(…)`).
                if !matches!(object.kind(), "identifier" | "member_expression")
                    || !matches!(text(method, src), "map" | "forEach" | "flatMap" | "filter")
                {
                    continue;
                }
                let param = n
                    .child_by_field_name("parameter")
                    .or_else(|| {
                        n.child_by_field_name("parameters")
                            .and_then(|p| p.named_child(0))
                            .and_then(|p| p.child_by_field_name("pattern").or(Some(p)))
                    })
                    .filter(|p| p.kind() == "identifier");
                if let Some(p) = param {
                    out.push((text(p, src).to_string(), text(object, src).to_string()));
                }
            }
            _ => {}
        }
    }
    out
}

/// `res.json(x)`, `res.send(x)`, `c.json(x)`, `reply.send(x)`.
fn sends_response(call: Node, src: &str) -> bool {
    call.child_by_field_name("function")
        .filter(|f| f.kind() == "member_expression")
        .and_then(|f| f.child_by_field_name("property"))
        .is_some_and(|p| matches!(text(p, src), "json" | "send"))
}

/// Is `var` returned or sent in the code after its declaration?
fn flows_out(var: &str, body: &str) -> bool {
    let statements = ["return ", ".json(", ".send("];
    body.split(';').any(|stmt| {
        let stmt = stmt.trim_start();
        statements.iter().any(|s| {
            stmt.find(s).is_some_and(|i| {
                let after = &stmt[i + s.len()..];
                mentions(after, var)
            })
        })
    })
}

fn mentions(hay: &str, word: &str) -> bool {
    let bytes = hay.as_bytes();
    let mut start = 0;
    while let Some(i) = hay[start..].find(word) {
        let at = start + i;
        let before = at == 0 || !is_ident_byte(bytes[at - 1]);
        let end = at + word.len();
        let after = end >= bytes.len() || !is_ident_byte(bytes[end]);
        if before && after {
            return true;
        }
        start = at + 1;
    }
    false
}

/// `router.get('/x', handler)`-style: the function (whose ancestors are `anc`) is an
/// argument of an HTTP-verb call whose first argument is a path.
/// For a call inside a tRPC handler (`X.input(…).query(async ({ input, ctx }) => …)`), the
/// name of the procedure `X` the chain starts from.
fn trpc_procedure(anc: &[Node], src: &str) -> Option<String> {
    let at = (0..anc.len()).find(|&i| {
        FUNCTIONS.contains(&anc[i].kind())
            && callee_of_callback(&anc[..i])
                .and_then(|c| c.child_by_field_name("function"))
                .filter(|f| f.kind() == "member_expression")
                .and_then(|f| f.child_by_field_name("property"))
                .is_some_and(|p| matches!(text(p, src), "query" | "mutation" | "subscription"))
    })?;
    let mut node = callee_of_callback(&anc[..at])?.child_by_field_name("function")?;
    for _ in 0..MAX_DEPTH {
        node = match node.kind() {
            "member_expression" => node.child_by_field_name("object")?,
            "call_expression" => node.child_by_field_name("function")?,
            "identifier" => {
                let name = text(node, src);
                return name.ends_with("Procedure").then(|| name.to_string());
            }
            _ => return None,
        };
    }
    None
}

fn is_route_callback(anc: &[Node], src: &str) -> bool {
    let Some(call) = callee_of_callback(anc) else {
        return false;
    };
    call.child_by_field_name("function")
        .filter(|f| f.kind() == "member_expression")
        .and_then(|f| f.child_by_field_name("property"))
        .is_some_and(|p| {
            matches!(
                text(p, src),
                "get" | "post" | "put" | "patch" | "delete" | "all"
            )
        })
        && call
            .child_by_field_name("arguments")
            .and_then(|a| a.named_child(0))
            .is_some_and(|first| matches!(first.kind(), "string" | "template_string"))
}

/// (class, method) of the innermost method among the ancestors; outside classes, ("", name)
/// of the innermost named function (`function f` or `const f = () =>`).
fn enclosing_method(anc: &[Node], src: &str) -> Option<(String, String)> {
    if let Some(at) = anc.iter().rposition(|n| n.kind() == "method_definition") {
        let method = text(anc[at].child_by_field_name("name")?, src).to_string();
        return Some((method_owner(&anc[..at], src)?, method));
    }
    // Code inside some function: named by the outermost function (a declaration's name, or
    // the variable it is part of: `export const route = procedure.mutation(async () =>`), so
    // that callbacks and closures inside it (`$transaction(async (tx) =>`) share its scope;
    // an anonymous callback (`router.get('/', async () =>`) by its offset.
    let is_function = |n: &Node| {
        matches!(
            n.kind(),
            "arrow_function" | "function_expression" | "function" | "function_declaration"
        )
    };
    let outermost = anc.iter().position(is_function)?;
    let function = anc[outermost];
    let declared = (function.kind() == "function_declaration")
        .then(|| function.child_by_field_name("name"))
        .flatten();
    declared
        .or_else(|| {
            anc[..outermost]
                .iter()
                .rev()
                .filter(|n| n.kind() == "variable_declarator")
                .find_map(|n| n.child_by_field_name("name"))
        })
        .map(|name| text(name, src).to_string())
        .or_else(|| Some(format!("@{}", function.start_byte())))
        .map(|name| (String::new(), name))
}

/// The class a method belongs to, or the variable an object literal of methods is stored in
/// (`export const conversationService = { async getConversation(id) { … } }`).
fn method_owner(anc: &[Node], src: &str) -> Option<String> {
    anc.iter().rev().find_map(|n| match n.kind() {
        "class_declaration" | "abstract_class_declaration" | "class" | "variable_declarator" => n
            .child_by_field_name("name")
            .filter(|name| matches!(name.kind(), "type_identifier" | "identifier"))
            .map(|name| text(name, src).to_string()),
        _ => None,
    })
}

/// Method decorators of code the process runs by itself (Nest schedule, Bull, events,
/// microservice consumers).
const BACKGROUND_DECORATORS: &[&str] = &[
    "Cron",
    "Interval",
    "Timeout",
    "Process",
    "OnEvent",
    "OnQueueCompleted",
    "OnQueueFailed",
    "OnWorkerEvent",
    "EventPattern",
    "MessagePattern",
];

/// Nest lifecycle hooks: start-up and shutdown code.
const BACKGROUND_HOOKS: &[&str] = &[
    "onModuleInit",
    "onApplicationBootstrap",
    "onModuleDestroy",
    "beforeApplicationShutdown",
    "onApplicationShutdown",
];

const HTTP_DECORATORS: &[&str] = &["Get", "Post", "Put", "Patch", "Delete", "All"];

/// Controller handlers with their `this.x.y(...)` calls, and constructor injections.
fn class_facts(class: Node, src: &str, facts: &mut PrismaFacts) {
    let Some(name) = class.child_by_field_name("name") else {
        return;
    };
    let class_name = text(name, src).to_string();
    let Some(body) = class.child_by_field_name("body") else {
        return;
    };
    let class_guards = class_decorators(class)
        .into_iter()
        .flat_map(|d| use_guards(d, src))
        .collect::<Vec<_>>();
    let class_admin = class_decorators(class)
        .into_iter()
        .any(|d| admin_decorator(d, src));
    let class_processor = class_decorators(class)
        .into_iter()
        .any(|d| decorator_name(d, src) == "Processor");
    // Nest builds its providers and controllers once, at start-up: their constructors are
    // start-up code (`constructor() { this.initialize(); }`).
    let nest_singleton = class_decorators(class).into_iter().any(|d| {
        matches!(
            decorator_name(d, src).as_str(),
            "Injectable" | "Controller" | "Resolver" | "Module"
        )
    });
    let mut method_admin = false;
    let mut decorators: Vec<String> = Vec::new();
    let mut method_guards: Vec<String> = Vec::new();
    let mut is_guard = false;
    let mut c = body.walk();
    for member in body.named_children(&mut c) {
        match member.kind() {
            "decorator" => {
                decorators.push(decorator_name(member, src));
                method_guards.extend(use_guards(member, src));
                method_admin |= admin_decorator(member, src);
            }
            "method_definition" => {
                let method = member
                    .child_by_field_name("name")
                    .map(|n| text(n, src).to_string())
                    .unwrap_or_default();
                is_guard |= method == "canActivate";
                let mut info = method_info(
                    member,
                    src,
                    &class_name,
                    &method,
                    decorators.iter().any(|d| d == "ResolveField"),
                );
                info.guards = class_guards.iter().chain(&method_guards).cloned().collect();
                info.admin = class_admin || method_admin;
                info.background = class_processor
                    || BACKGROUND_HOOKS.contains(&method.as_str())
                    || nest_singleton && method == "constructor"
                    || decorators
                        .iter()
                        .any(|d| BACKGROUND_DECORATORS.contains(&d.as_str()));
                method_guards.clear();
                method_admin = false;
                facts.methods.push(info);
                if method == "constructor" {
                    injected_fields(member, src, &class_name, facts);
                } else if decorators
                    .iter()
                    .any(|d| HTTP_DECORATORS.contains(&d.as_str()))
                {
                    facts.handlers.push(Handler {
                        class: class_name.clone(),
                        method,
                        line: member.start_position().row + 1,
                        calls: this_calls(member, src),
                    });
                }
                decorators.clear();
            }
            _ => {
                decorators.clear();
                method_guards.clear();
                method_admin = false;
            }
        }
    }
    if is_guard {
        facts
            .guard_words
            .push((class_name, id_words(text(body, src))));
    }
}

/// A class's decorators: its own children, or those of the `export` statement around it
/// (`@Resolver() export class X` puts them there).
fn class_decorators(class: Node) -> Vec<Node> {
    let mut out = Vec::new();
    for holder in [
        Some(class),
        class.parent().filter(|p| p.kind() == "export_statement"),
    ]
    .into_iter()
    .flatten()
    {
        let mut c = holder.walk();
        out.extend(holder.children(&mut c).filter(|n| n.kind() == "decorator"));
    }
    out
}

/// Does the decorator admit administrators only (`@Roles(Role.ADMIN)`,
/// `@HasPermission(permissions.accessAdminControl)`, `@AdminOnly()`)? A route path that
/// mentions admin (`@Get('admin/stats')`) says nothing about who may call it.
fn admin_decorator(decorator: Node, src: &str) -> bool {
    let name = decorator_name(decorator, src);
    !HTTP_DECORATORS.contains(&name.as_str())
        && !matches!(
            name.as_str(),
            "Controller" | "Resolver" | "Query" | "Mutation"
        )
        && text(decorator, src).to_ascii_lowercase().contains("admin")
}

/// The classes a `@UseGuards(A, B)` decorator names.
fn use_guards(decorator: Node, src: &str) -> Vec<String> {
    if decorator_name(decorator, src) != "UseGuards" {
        return Vec::new();
    }
    let t = text(decorator, src);
    let inner = t
        .split_once('(')
        .map(|(_, rest)| rest.trim_end().trim_end_matches(')'))
        .unwrap_or("");
    inner
        .split(',')
        .map(|g| g.trim().trim_start_matches("new ").trim())
        .map(|g| g.split(['(', '<']).next().unwrap_or("").trim().to_string())
        .filter(|g| !g.is_empty())
        .collect()
}

/// The distinct identifiers of a text that name an id (`collectionID`, `teamId`, `id`).
fn id_words(body: &str) -> Vec<String> {
    let mut words: Vec<String> = body
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
        .filter(|w| {
            w.len() >= 2
                && (w.ends_with("Id") || w.ends_with("ID") || w.ends_with("id"))
                && !w.starts_with(|c: char| c.is_ascii_digit())
        })
        .map(str::to_string)
        .collect();
    words.sort();
    words.dedup();
    words
}

fn method_info(
    member: Node,
    src: &str,
    class: &str,
    name: &str,
    resolve_field: bool,
) -> MethodInfo {
    let mut c = member.walk();
    let private = name.starts_with('#')
        || member
            .children(&mut c)
            .any(|ch| ch.kind() == "accessibility_modifier" && text(ch, src) == "private");
    let mut params = Vec::new();
    let mut parent_param = None;
    let mut request_params = Vec::new();
    let mut object_keys = Vec::new();
    if let Some(list) = member.child_by_field_name("parameters") {
        let mut c = list.walk();
        for (i, p) in list.named_children(&mut c).enumerate() {
            let Some(pattern) = p.child_by_field_name("pattern") else {
                continue;
            };
            // `addBenchmark({ dataSource, symbol }: Identifier)`: callers pass the keys.
            if i == 0 && pattern.kind() == "object_pattern" {
                object_keys = destructured_keys(pattern, src);
            }
            let param = text(pattern, src).to_string();
            let mut d = p.walk();
            let decorators: Vec<String> = p
                .children(&mut d)
                .filter(|ch| ch.kind() == "decorator")
                .map(|ch| decorator_name(ch, src))
                .collect();
            if resolve_field && decorators.iter().any(|d| d == "Parent") {
                parent_param = Some(param.clone());
            }
            if decorators
                .iter()
                .any(|d| REQUEST_DECORATORS.contains(&d.as_str()))
            {
                request_params.push(param.clone());
            }
            params.push(param);
        }
    }
    MethodInfo {
        class: class.to_string(),
        name: name.to_string(),
        private,
        params,
        object_keys,
        parent_param,
        guards: Vec::new(),
        request_params,
        principal_params: principal_params(member, src),
        admin: false,
        background: false,
    }
}

/// The parameters of a function or method typed as what authentication established.
fn principal_params(function: Node, src: &str) -> Vec<String> {
    let Some(list) = function.child_by_field_name("parameters") else {
        return Vec::new();
    };
    let mut c = list.walk();
    list.named_children(&mut c)
        .filter(|p| authenticated_type(*p, src))
        .filter_map(|p| p.child_by_field_name("pattern"))
        .filter(|pattern| pattern.kind() == "identifier")
        .map(|pattern| text(pattern, src).to_string())
        .collect()
}

/// Is a parameter typed as what authentication established: `AuthenticatedEnvironment`,
/// `AuthenticatedUser` (not an `AuthenticatedRequest`, which carries the client's input)?
fn authenticated_type(param: Node, src: &str) -> bool {
    param
        .child_by_field_name("type")
        .map(|t| text(t, src).trim_start_matches(':').trim())
        .is_some_and(|ty| {
            let name = ty.split(['<', '[', ' ', '|']).next().unwrap_or(ty);
            name.starts_with("Authenticated")
                && !name.ends_with("Request")
                && !name.ends_with("Req")
        })
}

/// Nest parameter decorators that hand a handler what the client sent.
const REQUEST_DECORATORS: &[&str] = &[
    "Param", "Body", "Query", "Args", "Req", "Request", "Headers",
];

fn decorator_name(decorator: Node, src: &str) -> String {
    let t = text(decorator, src).trim_start_matches('@');
    t.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .next()
        .unwrap_or("")
        .to_string()
}

fn injected_fields(ctor: Node, src: &str, class: &str, facts: &mut PrismaFacts) {
    let Some(params) = ctor.child_by_field_name("parameters") else {
        return;
    };
    let mut c = params.walk();
    for p in params.named_children(&mut c) {
        let (Some(pattern), Some(ty)) = (
            p.child_by_field_name("pattern"),
            p.child_by_field_name("type"),
        ) else {
            continue;
        };
        let ty = text(ty, src).trim_start_matches(':').trim();
        facts.injected.push((
            class.to_string(),
            text(pattern, src).to_string(),
            ty.split('<').next().unwrap_or(ty).trim().to_string(),
        ));
    }
}

/// `this.<field>.<method>(` calls inside a method.
fn this_calls(method: Node, src: &str) -> Vec<(String, String)> {
    let body = text(method, src);
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find("this.") {
        let after = &rest[i + 5..];
        let field: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '$')
            .collect();
        let tail = &after[field.len()..];
        if let Some(m) = tail.strip_prefix('.') {
            let name: String = m
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '$')
                .collect();
            if m[name.len()..].trim_start().starts_with('(') && !name.is_empty() {
                out.push((field, name));
            }
        }
        rest = after;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::queries::Lang;

    fn calls(src: &str) -> Vec<PrismaCall> {
        let tree = crate::workspace::scan::parse(Lang::TypeScript, src).unwrap();
        extract(tree.root_node(), src).calls
    }

    #[test]
    fn filter_shapes() {
        let src = r#"
class S {
  async a(id: string, workspaceId: string) {
    return this.prisma.project.findFirst({ where: { id, AND: [{ workspaceId }] } });
  }
  async b(where: any) {
    return this.db.project.findMany({ where });
  }
  async c(id: string, ws: string) {
    const base = { workspaceId: ws };
    const where = { ...base, id };
    return tx.project.update({ where, data: {} });
  }
  async d(id: string) {
    return prisma.task.findMany({ where: { OR: [{ project: { workspaceId: 1 } }, { ownerId: id }] } });
  }
}
"#;
        let c = calls(src);
        assert_eq!(c.len(), 4);
        assert!(c[0]
            .filter
            .constrained
            .contains(&vec!["workspaceId".to_string()]));
        assert!(c[0].returned);
        assert_eq!(c[0].method, Some(("S".into(), "a".into())));
        assert!(c[1].filter.unknown);
        assert_eq!(c[1].receiver, "this.db");
        assert!(c[2]
            .filter
            .constrained
            .contains(&vec!["workspaceId".to_string()]));
        assert!(!c[2].filter.unknown);
        assert!(c[3].filter.constrained.is_empty(), "{:?}", c[3].filter);
        assert!(!c[3].bounded);
    }

    #[test]
    fn loops_and_callbacks() {
        let src = r#"
async function f(ids: string[]) {
  for (const id of ids) {
    await prisma.user.findUnique({ where: { id } });
  }
  await Promise.all(ids.map(async (id) => prisma.user.delete({ where: { id } })));
  for (const u of await prisma.user.findMany()) { console.log(u); }
}
"#;
        let c = calls(src);
        assert_eq!(c[0].in_loop, Some(3));
        assert_eq!(c[1].in_loop, Some(6));
        assert_eq!(c[2].in_loop, None);
    }
}
