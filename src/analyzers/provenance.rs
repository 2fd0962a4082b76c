//! Where a method's arguments come from, across the files whose Prisma facts were extracted
//! (services, controllers, resolvers): a parameter is *trusted* when every call that reaches it
//! passes a value taken from a row the code fetched (`collection.id`, a loop variable over
//! fetched rows), from a GraphQL field resolver's `@Parent()` object (a row another resolver
//! already returned), or from another trusted parameter. Private methods are called only by
//! their class; a public method's callers in files that neither name Prisma nor hold a
//! controller or resolver are not seen, so it counts as trusted only when all its seen callers
//! are.

use crate::facts::prisma_calls::{
    principal_value, MethodCall, MethodInfo, Place, PrismaFacts, PRINCIPAL,
};
use std::collections::{BTreeMap, BTreeSet};

/// (class, method, parameter name). Functions outside classes have class `#<file index>`:
/// two files' `handler` functions are not one function.
type ParamKey = (String, String, String);

/// How code names an access check (rule options): a function whose first word is one of
/// `prefixes` (`canUpdateBoard`, `authorize`), or one of `verbs` followed by one of `words`
/// (`checkTeamAccess`, `assertMember`, `isAdmin`); a method of a field named for one of
/// `words` (`this.permissions.check(...)`, `this.accessControl.assertCan(...)`).
#[derive(Default)]
pub struct CheckNames {
    pub prefixes: Vec<String>,
    pub verbs: Vec<String>,
    pub words: Vec<String>,
}

impl CheckNames {
    fn first_word(name: &str) -> (&str, &str) {
        let end = name
            .find(|c: char| !c.is_ascii_lowercase())
            .unwrap_or(name.len());
        name.split_at(end)
    }

    /// Does a function or method of this name check access?
    pub fn is_check(&self, name: &str) -> bool {
        let (first, rest) = Self::first_word(name);
        if first.is_empty() {
            return false;
        }
        let rest = rest.to_ascii_lowercase();
        self.prefixes.iter().any(|p| p == first)
            || self.verbs.iter().any(|v| v == first)
                && self.words.iter().any(|w| rest.contains(w.as_str()))
    }

    fn is_check_call(&self, c: &MethodCall) -> bool {
        let (first, _) = Self::first_word(&c.method);
        self.is_check(&c.method)
            || c.target.as_ref().or(c.object.as_ref()).is_some_and(|t| {
                let t = t.to_ascii_lowercase();
                self.words.iter().any(|w| t.contains(w.as_str()))
                    && self.prefixes.iter().chain(&self.verbs).any(|v| v == first)
            })
    }
}

/// The argument list of a plain call, awaited or not: `x, y` for `await f(x, y)`.
fn lookup_arguments(expr: &str) -> Option<&str> {
    let e = expr.trim();
    let e = e.strip_prefix("await ").map_or(e, str::trim_start);
    let open = e.find('(')?;
    let callee = &e[..open];
    (open > 0
        && e.ends_with(')')
        && callee
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$')))
    .then(|| &e[open + 1..e.len() - 1])
}

/// The non-empty items of a comma-separated list, split at the top level only (not inside
/// brackets or strings).
fn split_top(list: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None, 0);
    for (i, c) in list.char_indices() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                items.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&list[start..]);
    items.retain(|item| !item.trim().is_empty());
    items
}

/// The value a filter expression compares with, under set and wrapper calls: `ids` for
/// `{ in: boundedIn(ids) }`, `id` for `String(id)` and for `` `${id}` ``.
pub fn value_core(expr: &str) -> &str {
    let mut e = expr.trim();
    for _ in 0..4 {
        // `${id}`: a template of one value.
        if let Some(v) = e
            .strip_prefix("`${")
            .and_then(|v| v.strip_suffix("}`"))
            .filter(|v| !v.contains(['$', '`']))
        {
            e = v.trim();
            continue;
        }
        let inner = e
            .strip_prefix('{')
            .and_then(|i| i.strip_suffix('}'))
            .map(str::trim);
        if let Some(v) =
            inner.and_then(|i| ["in:", "equals:"].iter().find_map(|w| i.strip_prefix(w)))
        {
            e = v.trim().trim_end_matches(',').trim();
            continue;
        }
        // `f(x)` with one argument (not a method: `ids.map(…)` is built on `ids`).
        let call = e.find('(').filter(|&open| {
            open > 0
                && e.ends_with(')')
                && e[..open]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$'))
        });
        match call.map(|open| &e[open + 1..e.len() - 1]) {
            Some(args) if split_top(args).len() == 1 => e = args.trim(),
            _ => break,
        }
    }
    e
}

/// What an argument expression names: its base identifier and, for `args.collectionID`,
/// the member it reads.
fn arg_names(arg: &str) -> Vec<String> {
    let base = base_identifier(arg);
    let mut names = vec![base.to_string()];
    if let Some(rest) = arg
        .trim()
        .strip_prefix(base)
        .and_then(|r| r.strip_prefix('.'))
    {
        let member = base_identifier(rest);
        if !member.is_empty() && member.len() == rest.trim_end().len() {
            names.push(member.to_string());
        }
    }
    names.retain(|n| !n.is_empty());
    names
}

/// A call a method makes that vouches for the values it is passed: an access check, or a
/// helper whose stored result is read after (`fields`, the members read from it).
struct EarlierCall {
    place: Place,
    /// The names its arguments pass.
    passed: Vec<String>,
    check: bool,
    fields: Vec<String>,
}

/// How the code names things, from the rule's options.
pub struct Words<'a> {
    /// The names code gives the signed-in tenant (`workspace`): a value built on it is
    /// trusted like a row's.
    pub tenant_named: &'a dyn Fn(&str) -> bool,
    /// Tenant field names (`teamId`).
    pub tenant_field: &'a dyn Fn(&str) -> bool,
    pub checks: CheckNames,
    /// What code names the request or its validated input.
    pub request_names: Vec<String>,
}

/// A read scoped by the tenant (or the acting user, or a unique key) whose row the code
/// tests: the ids it was given belong to the tenant after it (`const dataroom = await
/// findUnique({ where: { id: dataroomId, teamId } }); if (!dataroom) return …`).
pub struct Voucher {
    pub file: usize,
    pub class: String,
    pub method: String,
    pub place: Place,
    /// The identifiers its filter compares with.
    pub names: Vec<String>,
}

#[derive(Default)]
pub struct Provenance {
    trusted: BTreeSet<ParamKey>,
    /// (class, method) → variables holding fetched rows in it.
    rows: BTreeMap<(String, String), BTreeSet<String>>,
    methods: BTreeMap<(String, String), MethodInfo>,
    /// (class, method) → local variables and the identifier each is built on.
    derived: BTreeMap<(String, String), Vec<(String, String)>>,
    /// Methods only authorization guards call (`canActivate`): they look up the tenant of a
    /// resource so that the guard can check it, and cannot be scoped by it.
    guard_lookups: BTreeSet<(String, String)>,
    /// (class, method) → its access checks and helper fetches read after.
    earlier: BTreeMap<(String, String), Vec<EarlierCall>>,
    /// Guard class → the id names its body mentions.
    guard_words: BTreeMap<String, Vec<String>>,
    names: CheckNames,
    /// (class, method) → the calls seen to land in it, each with its file.
    sites: BTreeMap<(String, String), Vec<(usize, MethodCall)>>,
    /// What code names the request or its validated input (`req`, `parsedInput`).
    request_names: Vec<String>,
    /// Methods only background code calls (see `build`).
    background: BTreeSet<(String, String)>,
    /// Calls (file, start byte) whose caller reads the tenant of the row they return (`const
    /// survey = await getSurvey(id); if (!hasPermission(auth, survey.workspaceId)) …`).
    tenant_read_after: BTreeSet<(usize, usize)>,
}

/// Where a value a query filters by comes from, as far as the calls seen show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The request: `req.query`, `parsedInput`, a Nest `@Param()`, or a parameter some
    /// caller feeds from one.
    Request,
    /// A parameter of the function no caller seen feeds from a request (a data-access
    /// helper whose callers check, or do not check, the id before calling it).
    Parameter,
    /// Anything else: a local computed in the function.
    Other,
}

/// The argument a call passes for the parameter `local` of `info`: by position, or by key
/// of a destructured first parameter.
fn argument_for(info: &MethodInfo, local: &str, c: &MethodCall) -> Option<String> {
    if let Some(i) = info.params.iter().position(|p| p == local) {
        return c.args.get(i).cloned();
    }
    let (key, _) = info.object_keys.iter().find(|(_, l)| l == local)?;
    c.named_args
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

/// The key callers name a function's owner by: its class, or "" for a plain function (other
/// files call it by its name alone).
fn callee_key(file: usize, class: &str) -> String {
    if class.is_empty() {
        String::new()
    } else {
        class_key(file, class)
    }
}

/// The class key of code in `file`: its class, or `#<file>` for a function outside classes.
fn class_key(file: usize, class: &str) -> String {
    if class.is_empty() {
        format!("#{file}")
    } else {
        class.to_string()
    }
}

/// The identifier an expression is built on: `collection` for `collection.id`,
/// `ids` for `{ in: ids }`, `docs` for `docs.map((d) => d.id)`.
pub fn base_identifier(expr: &str) -> &str {
    let mut e = expr.trim();
    // `{ in: ids }` / `{ equals: id }`, also spread over lines.
    if let Some(inner) = e.strip_prefix('{') {
        let inner = inner.trim_start();
        if let Some(v) = ["in:", "equals:"]
            .iter()
            .find_map(|w| inner.strip_prefix(w))
        {
            e = v.trim_start();
        }
    }
    let end = e
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(e.len());
    &e[..end]
}

/// A tRPC procedure named for a resource (`protectedProjectProcedure`) runs middleware that
/// checks the caller's access to the input's id of it (`input.projectId`), as a Nest guard
/// does: the analyzer trusts the name, as it trusts a check's.
pub fn procedure_vouches(procedure: Option<&str>, value: &str) -> bool {
    let Some(procedure) = procedure else {
        return false;
    };
    let value = value_core(value);
    let key = value.strip_prefix("input.").unwrap_or(value);
    let stem = key
        .strip_suffix("Id")
        .or_else(|| key.strip_suffix("ID"))
        .filter(|stem| !stem.is_empty() && stem.chars().all(|c| c.is_ascii_alphanumeric()));
    stem.is_some_and(|stem| {
        procedure
            .to_ascii_lowercase()
            .contains(&stem.to_ascii_lowercase())
    })
}

/// A value that carries no caller input: `null`, `true`, `42`, `'x'`, `Role.ADMIN`, also
/// under filter operators (`{ not: null }`, `{ gte: 0, lt: 10 }`).
pub fn is_constant(expr: &str) -> bool {
    let e = expr.trim();
    if let Some(inner) = e.strip_prefix('{').and_then(|i| i.strip_suffix('}')) {
        let pairs = split_top(inner);
        return !pairs.is_empty()
            && pairs.iter().all(|pair| {
                pair.split_once(':').is_some_and(|(key, value)| {
                    key.trim()
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_')
                        && is_constant(value)
                })
            });
    }
    // `["PRODUCTION", "STAGING"]`
    if let Some(inner) = e.strip_prefix('[').and_then(|i| i.strip_suffix(']')) {
        return split_top(inner).iter().all(|item| is_constant(item));
    }
    matches!(e, "null" | "true" | "false" | "undefined")
        || e.parse::<f64>().is_ok()
        || e.starts_with(['\'', '"'])
        || (e.starts_with(|c: char| c.is_ascii_uppercase())
            && e.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.'))
}

impl Provenance {
    /// From the Prisma facts of a unit's files, each with its file index, the words of the
    /// rule, the scoped reads found in them and the import edges between files.
    pub fn build(
        facts: &[(usize, &PrismaFacts)],
        words: Words,
        vouchers: Vec<Voucher>,
        imports: &dyn Fn(usize, usize) -> bool,
        review_file: &dyn Fn(usize) -> bool,
    ) -> Provenance {
        let Words {
            tenant_named,
            tenant_field,
            checks: names,
            request_names,
        } = words;
        let mut p = Provenance {
            names,
            request_names,
            ..Provenance::default()
        };
        for v in vouchers {
            p.earlier
                .entry((class_key(v.file, &v.class), v.method))
                .or_default()
                .push(EarlierCall {
                    place: v.place,
                    passed: v.names,
                    check: true,
                    fields: Vec::new(),
                });
        }
        for &(file, f) in facts {
            for c in &f.method_calls {
                let key = (class_key(file, &c.class), c.caller.clone());
                let args = || c.args.iter().flat_map(|a| arg_names(a));
                if p.names.is_check_call(c) {
                    // A check vouches for its object arguments' values too (`{ boardId }`).
                    let named = c.named_args.iter().flat_map(|(_, v)| arg_names(v));
                    let mut passed: Vec<String> = args().chain(named).collect();
                    // And for the ids a lookup inside its arguments was passed (`{ organizationId:
                    // await getOrganizationIdFromSurveyId(parsedInput.surveyId) }`).
                    let nested: Vec<String> = c
                        .args
                        .iter()
                        .chain(c.named_args.iter().map(|(_, v)| v))
                        .filter_map(|v| lookup_arguments(v))
                        .flat_map(|inner| split_top(inner).into_iter().flat_map(arg_names))
                        .collect();
                    passed.extend(nested);
                    // Through a local taken from the lookup's result (`const { workspaceId } =
                    // result.data; hasPermission(auth, workspaceId)`).
                    let bases: Vec<String> = f
                        .derived
                        .iter()
                        .filter(|(class, method, var, _)| {
                            *class == c.class && *method == c.caller && passed.contains(var)
                        })
                        .map(|(_, _, _, base)| base.clone())
                        .collect();
                    passed.extend(bases);
                    // And for what the tenant it checks was looked up from: `const orgId =
                    // await getOrganizationIdFromInviteId(parsedInput.inviteId); await
                    // checkAuthorization({ organizationId: orgId, … })`.
                    let looked_up: Vec<String> = f
                        .method_calls
                        .iter()
                        .filter(|l| {
                            l.class == c.class
                                && l.caller == c.caller
                                && l.place.dominates(&c.place)
                                && l.result.iter().any(|r| passed.contains(r))
                        })
                        .flat_map(|l| l.args.iter().map(|a| a.trim().to_string()))
                        .collect();
                    passed.extend(looked_up);
                    // What a check returns it has checked (`const { projectId } = (await
                    // verifyProjectMembership(org, slug, userId)).value`).
                    p.rows
                        .entry(key.clone())
                        .or_default()
                        .extend(c.result.iter().cloned());
                    p.earlier.entry(key.clone()).or_default().push(EarlierCall {
                        place: c.place,
                        passed,
                        check: true,
                        fields: Vec::new(),
                    });
                }
                if !c.result_fields.is_empty() {
                    p.earlier.entry(key).or_default().push(EarlierCall {
                        place: c.place,
                        passed: args().collect(),
                        check: false,
                        fields: c.result_fields.clone(),
                    });
                }
            }
            for (class, words) in &f.guard_words {
                p.guard_words
                    .entry(class.clone())
                    .or_default()
                    .extend(words.iter().cloned());
            }
        }
        // Calls with their file, classes qualified; indexed by the called name.
        let mut calls: BTreeMap<&str, Vec<(usize, &MethodCall)>> = BTreeMap::new();
        for &(file, f) in facts {
            // `const ids = docs.map((d) => d.id)`: built on `docs`.
            for (class, method, var, base) in &f.derived {
                p.derived
                    .entry((class_key(file, class), method.clone()))
                    .or_default()
                    .push((var.clone(), base.clone()));
            }
            for call in &f.calls {
                if let (Some((class, method)), Some(var)) = (&call.method, &call.result_var) {
                    p.rows
                        .entry((class_key(file, class), method.clone()))
                        .or_default()
                        .insert(var.clone());
                }
            }
            for (class, method, var) in &f.query_rows {
                p.rows
                    .entry((class_key(file, class), method.clone()))
                    .or_default()
                    .insert(var.clone());
            }
            for m in &f.methods {
                let key = (class_key(file, &m.class), m.name.clone());
                // A parameter typed as the authenticated principal holds the acting tenant.
                for param in &m.principal_params {
                    p.derived
                        .entry(key.clone())
                        .or_default()
                        .push((param.clone(), PRINCIPAL.to_string()));
                }
                p.methods.insert(key, m.clone());
            }
            for c in &f.method_calls {
                calls.entry(c.method.as_str()).or_default().push((file, c));
            }
        }
        // `presenter.findEndpoint(…)` after `const presenter = new WebhookDetailPresenter(…)`:
        // the object is an instance of that class.
        // Resolved once per call: the lookups below ask for every call of a method's name.
        let classes: BTreeSet<&str> = p.methods.keys().map(|(k, _)| k.as_str()).collect();
        let mut instances: std::collections::HashMap<*const MethodCall, String> =
            std::collections::HashMap::new();
        for &(file, f) in facts {
            for c in &f.method_calls {
                let Some(object) = &c.object else { continue };
                let key = (class_key(file, &c.class), c.caller.clone());
                let class = p
                    .derived
                    .get(&key)
                    .into_iter()
                    .flatten()
                    .find(|(var, base)| var == object && classes.contains(base.as_str()))
                    .map(|(_, base)| base.clone());
                instances.insert(c, class.unwrap_or_else(|| object.clone()));
            }
        }
        let instance_of = |c: &MethodCall| -> Option<&str> {
            instances.get(&(c as *const MethodCall)).map(String::as_str)
        };
        let injected: BTreeMap<(String, String), String> = facts
            .iter()
            .flat_map(|(_, f)| f.injected.iter())
            .map(|(class, field, ty)| ((class.clone(), field.clone()), ty.clone()))
            .collect();
        // Functions and methods that return the row a Prisma read or write gives them
        // (`getEmailDomainOrThrow`): what their callers store is a fetched row.
        let row_functions: BTreeSet<(String, &str)> = facts
            .iter()
            .flat_map(|&(file, f)| f.calls.iter().map(move |c| (file, c)))
            .filter(|(_, c)| {
                c.returned && !matches!(c.op.as_str(), "count" | "aggregate" | "groupBy")
            })
            .filter_map(|(file, c)| {
                let (class, method) = c.method.as_ref()?;
                Some((callee_key(file, class), method.as_str()))
            })
            .collect();
        // Validators: functions that fetch a row by a parameter and compare its tenant
        // (`const dest = await prisma.collection.findUnique({ where: { id: destID } }); if
        // (dest.teamID !== request.teamID) return E.left(…)`): a call to one vouches for what
        // it passes for that parameter, like an access check.
        let mut validators: BTreeMap<(String, &str), (&MethodInfo, Vec<&str>)> = BTreeMap::new();
        for &(file, f) in facts {
            for c in f
                .calls
                .iter()
                .filter(|c| c.result_fields.iter().any(|x| tenant_field(x)))
            {
                let Some((class, method)) = &c.method else {
                    continue;
                };
                let Some(info) = p.methods.get(&(class_key(file, class), method.clone())) else {
                    continue;
                };
                let owner = callee_key(file, class);
                for (_, value) in &c.filter.values {
                    let base = base_identifier(value);
                    if info.has_param(base) {
                        let entry = validators
                            .entry((owner.clone(), method.as_str()))
                            .or_insert((info, Vec::new()));
                        entry.1.push(base);
                    }
                }
            }
        }
        for &(file, f) in facts {
            for c in &f.method_calls {
                let owner = match (instance_of(c), &c.target, c.free) {
                    (Some(class), _, _) => class.to_string(),
                    (None, _, true) => String::new(),
                    (None, None, false) => class_key(file, &c.class),
                    (None, Some(field), false) => {
                        match injected.get(&(c.class.clone(), field.clone())) {
                            Some(ty) => ty.clone(),
                            None => continue,
                        }
                    }
                };
                if c.result_fields.iter().any(|x| tenant_field(x)) {
                    p.tenant_read_after.insert((file, c.place.at));
                }
                let key = (class_key(file, &c.class), c.caller.clone());
                if let Some((info, params)) = validators.get(&(owner.clone(), c.method.as_str())) {
                    let passed = params
                        .iter()
                        .filter_map(|param| argument_for(info, param, c))
                        .flat_map(|a| arg_names(&a))
                        .collect();
                    p.earlier.entry(key.clone()).or_default().push(EarlierCall {
                        place: c.place,
                        passed,
                        check: true,
                        fields: Vec::new(),
                    });
                }
                if !c.result.is_empty() && row_functions.contains(&(owner, c.method.as_str())) {
                    p.rows
                        .entry(key)
                        .or_default()
                        .extend(c.result.iter().cloned());
                }
            }
        }
        // Files defining each plain function: a call lands in the one its file defines or
        // imports, or, when it imports none (a package alias), in any of them.
        let mut defined: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (class, name) in p.methods.keys() {
            if let Some(file) = class.strip_prefix('#').and_then(|f| f.parse().ok()) {
                defined.entry(name.as_str()).or_default().push(file);
            }
        }
        let reaches = |from: usize, to: usize| from == to || imports(from, to);
        // Does this call land in the method (class, name)? A method call lands in its own class,
        // the injected field's type or the named object; a plain call in a function of that name.
        let lands_in = |file: usize, c: &MethodCall, class: &str| -> bool {
            if c.free {
                let Some(target) = class
                    .strip_prefix('#')
                    .and_then(|f| f.parse::<usize>().ok())
                else {
                    return false;
                };
                let candidates = defined.get(c.method.as_str()).map_or(&[][..], |v| &v[..]);
                return reaches(file, target)
                    || !candidates.iter().any(|&other| reaches(file, other));
            }
            if let Some(object) = instance_of(c) {
                return object == class;
            }
            match &c.target {
                None => class_key(file, &c.class) == class,
                Some(field) => injected
                    .get(&(c.class.clone(), field.clone()))
                    .is_some_and(|ty| ty == class),
            }
        };
        let sites_of = |class: &str, name: &str| -> Vec<(usize, &MethodCall)> {
            calls
                .get(name)
                .into_iter()
                .flatten()
                .filter(|(file, c)| lands_in(*file, c, class))
                .copied()
                .collect()
        };
        let guards: BTreeSet<&str> = p
            .methods
            .values()
            .filter(|m| m.name == "canActivate")
            .map(|m| m.class.as_str())
            .collect();
        let mut guard_lookups = BTreeSet::new();
        for (class, name) in p.methods.keys() {
            let sites = sites_of(class, name);
            // Called only by guards or access checks (`canUpdateBoard` loads the board).
            if !sites.is_empty()
                && sites
                    .iter()
                    .all(|(_, c)| guards.contains(c.class.as_str()) || p.names.is_check(&c.caller))
            {
                guard_lookups.insert((class.clone(), name.clone()));
            }
        }
        p.guard_lookups = guard_lookups;
        // Background code: methods the process runs itself, and methods whose every seen call
        // is in background code or in a review file (a cron route, an admin area).
        let mut background: BTreeSet<(String, String)> = p
            .methods
            .iter()
            .filter(|(_, m)| m.background)
            .map(|(key, _)| key.clone())
            .collect();
        let all_sites: BTreeMap<(String, String), Vec<(usize, &MethodCall)>> = p
            .methods
            .keys()
            .map(|(class, name)| ((class.clone(), name.clone()), sites_of(class, name)))
            .filter(|(_, sites)| !sites.is_empty())
            .collect();
        for _ in 0..8 {
            let before = background.len();
            for (key, sites) in &all_sites {
                if !background.contains(key)
                    && sites.iter().all(|(file, c)| {
                        review_file(*file)
                            || background.contains(&(class_key(*file, &c.class), c.caller.clone()))
                    })
                {
                    background.insert(key.clone());
                }
            }
            if background.len() == before {
                break;
            }
        }
        p.background = background;
        // A fixpoint: trusting one parameter can make the arguments of its callees trusted.
        for _ in 0..8 {
            let mut grew = false;
            for ((class, name), sites) in &all_sites {
                let Some(info) = p.methods.get(&(class.clone(), name.clone())) else {
                    continue;
                };
                // Positional parameters, then the keys of a destructured first parameter.
                let candidates: Vec<String> = info
                    .params
                    .iter()
                    .chain(info.object_keys.iter().map(|(_, local)| local))
                    .cloned()
                    .collect();
                for local in candidates {
                    let key = (class.clone(), name.clone(), local);
                    if p.trusted.contains(&key) {
                        continue;
                    }
                    let all = sites.iter().all(|(file, c)| {
                        argument_for(info, &key.2, c)
                            .is_some_and(|a| p.trusted_in(&a, *file, c, tenant_named))
                    });
                    if all {
                        p.trusted.insert(key);
                        grew = true;
                    }
                }
            }
            if !grew {
                break;
            }
        }
        p.sites = all_sites
            .into_iter()
            .map(|(key, sites)| {
                let owned = sites.into_iter().map(|(f, c)| (f, c.clone())).collect();
                (key, owned)
            })
            .collect();
        p
    }

    /// Where `expr`, a value in class.method of `file`, comes from: the request, a parameter
    /// no caller seen feeds from one, or something else. For a `loader` (a read whose row the
    /// function returns), a caller that reads the row's tenant before using it is no feed.
    pub fn origin(
        &self,
        file: usize,
        class: &str,
        method: &str,
        expr: &str,
        loader: bool,
    ) -> Origin {
        let expr = value_core(expr);
        self.origin_at(
            &class_key(file, class),
            method,
            expr,
            loader,
            &mut Vec::new(),
        )
    }

    fn origin_at(
        &self,
        class: &str,
        method: &str,
        expr: &str,
        loader: bool,
        seen: &mut Vec<(String, String)>,
    ) -> Origin {
        let key = (class.to_string(), method.to_string());
        let lineage = self.lineage(&key, base_identifier(expr));
        let request_named = |n: &String| self.request_names.contains(n);
        let info = self.methods.get(&key);
        let param = info.and_then(|info| lineage.iter().find(|n| info.has_param(n)));
        let (Some(info), Some(param)) = (info, param) else {
            // A local: of the request (`const { id } = req.query`), or computed.
            return if lineage.iter().any(request_named) {
                Origin::Request
            } else {
                Origin::Other
            };
        };
        let sites = self.sites.get(&key);
        // A Nest `@Param()`, or a handler's own request: `(req, res)`, a route handler's
        // arguments (`export async function POST(request)`, a Remix `loader`), or a context
        // object's keys (`({ params, request })`, `({ parsedInput })`). A function with callers
        // is judged by what they pass, and a positional options bag (`sync(params)`) is not
        // the request.
        let route_handler = matches!(
            method,
            "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" | "loader" | "action"
        );
        let handed = route_handler
            || info.object_keys.iter().any(|(_, l)| l == param)
            || matches!(param.as_str(), "req" | "request");
        if info.request_params.contains(param) || sites.is_none() && request_named(param) && handed
        {
            return Origin::Request;
        }
        // Callers are followed a few hops up, each function once (recursion).
        if seen.contains(&key) || seen.len() >= 6 {
            return Origin::Parameter;
        }
        seen.push(key.clone());
        let fed = sites.into_iter().flatten().any(|(file, site)| {
            let Some(arg) = argument_for(info, param, site) else {
                return false;
            };
            let caller = class_key(*file, &site.class);
            // A caller that checked the id before the call; a loader's caller that reads the
            // row's tenant, or checks the id anywhere in the function (`const s = await
            // getSurvey(id); await checkAccess(id)` before using s).
            let checked = self.authorized(*file, &site.class, &site.caller, &arg, &site.place)
                || procedure_vouches(site.procedure.as_deref(), &arg)
                || loader
                    && (self.tenant_read_after.contains(&(*file, site.place.at))
                        || self.checked_in(&caller, &site.caller, &arg));
            !checked && self.origin_at(&caller, &site.caller, &arg, false, seen) == Origin::Request
        });
        if fed {
            Origin::Request
        } else {
            Origin::Parameter
        }
    }

    /// Does class.method pass `expr` (or its base) to an access check anywhere?
    fn checked_in(&self, class: &str, method: &str, expr: &str) -> bool {
        self.checks_passing(class, method, expr).next().is_some()
    }

    /// The access checks, validators and scoped reads of class.method (class keyed) that were
    /// passed `expr` or the identifier it is built on.
    fn checks_passing<'s>(
        &'s self,
        class: &str,
        method: &str,
        expr: &'s str,
    ) -> impl Iterator<Item = &'s EarlierCall> + 's {
        let names = [base_identifier(expr), expr.trim()];
        self.earlier
            .get(&(class.to_string(), method.to_string()))
            .into_iter()
            .flatten()
            .filter(move |c| c.check && c.passed.iter().any(|p| names.contains(&p.as_str())))
    }

    /// `var` and the locals it is built on, in class.method (bounded: locals can refer to
    /// each other).
    fn lineage(&self, key: &(String, String), var: &str) -> Vec<String> {
        let mut seen = vec![var.to_string()];
        let mut at = 0;
        while at < seen.len() && seen.len() < 16 {
            for (v, base) in self.derived.get(key).into_iter().flatten() {
                if *v == seen[at] && !seen.contains(base) {
                    seen.push(base.clone());
                }
            }
            at += 1;
        }
        seen
    }

    /// Is the argument expression, at this call site, built on a trusted value?
    fn trusted_in(
        &self,
        arg: &str,
        file: usize,
        site: &MethodCall,
        tenant_named: &dyn Fn(&str) -> bool,
    ) -> bool {
        let base = base_identifier(arg);
        let rows = |v: &str| self.is_row(file, &site.class, &site.caller, v);
        rows(base)
            || self.built_on(file, &site.class, &site.caller, base, tenant_named)
            || site
                .row_aliases
                .iter()
                .any(|(alias, from)| alias == base && rows(base_identifier(from)))
            || self.is_principal(file, &site.class, &site.caller, arg)
            || self.authorized(file, &site.class, &site.caller, arg, &site.place)
            || self.names.is_check(&site.caller)
            || self.guarded(file, &site.class, &site.caller, arg)
    }

    /// Is the expression the acting user's id (`auth.user.id`), or a local of class.method of
    /// `file` holding it?
    pub fn is_principal(&self, file: usize, class: &str, method: &str, expr: &str) -> bool {
        principal_value(expr)
            || self.built_on(file, class, method, base_identifier(expr), &|n| {
                n == PRINCIPAL
            })
    }

    /// The calls class.method of `file` made on every path to `at` that were passed `var`.
    fn passed_before<'s>(
        &'s self,
        file: usize,
        class: &str,
        method: &str,
        var: &'s str,
        at: &'s Place,
    ) -> impl Iterator<Item = &'s EarlierCall> + 's {
        self.earlier
            .get(&(class_key(file, class), method.to_string()))
            .into_iter()
            .flatten()
            .filter(move |c| c.place.dominates(at) && c.passed.iter().any(|p| p == var))
    }

    /// Did class.method of `file` pass `expr` (or the identifier it is built on) to an access
    /// check, a validator or a scoped read before `at` (`if (!(await canUpdateBoard(auth,
    /// boardId))) return unauthorized();`)?
    pub fn authorized(
        &self,
        file: usize,
        class: &str,
        method: &str,
        expr: &str,
        at: &Place,
    ) -> bool {
        self.checks_passing(&class_key(file, class), method, expr)
            .any(|c| c.place.dominates(at))
    }

    /// Did class.method of `file`, before `at`, fetch the row `var` names through a helper
    /// and read a member `tenant` accepts from it (`const sub = await
    /// this.getCollection(nextID); if (coll.teamID !== sub.right.teamID) return …`)?
    pub fn tenant_compared(
        &self,
        file: usize,
        class: &str,
        method: &str,
        var: &str,
        at: &Place,
        tenant: &dyn Fn(&str) -> bool,
    ) -> bool {
        self.passed_before(file, class, method, var, at)
            .any(|c| c.fields.iter().any(|f| tenant(f)))
    }

    /// Is class.method of `file` an access check itself (its lookups are the check)?
    pub fn is_check(&self, method: &str) -> bool {
        self.names.is_check(method)
    }

    /// Does a guard on class.method of `file` (`@UseGuards(GqlCollectionTeamMemberGuard)`)
    /// look up the value `arg` names (the guard's body mentions `collectionID`), or admit
    /// instance administrators only?
    fn guarded(&self, file: usize, class: &str, method: &str, arg: &str) -> bool {
        let Some(info) = self
            .methods
            .get(&(class_key(file, class), method.to_string()))
        else {
            return false;
        };
        let names = arg_names(arg);
        // An instance-admin guard (`GqlAdminGuard`) or role (`@Roles(Role.ADMIN)`):
        // administrators act across tenants.
        info.admin
            || info.guards.iter().any(|g| {
                g.contains("Admin")
                    || self
                        .guard_words
                        .get(g)
                        .is_some_and(|words| names.iter().any(|n| words.contains(n)))
            })
    }

    /// Is class.method of `file` background code, or called only from it (a scheduled job, a
    /// queue processor, a start-up hook, a cron route)?
    pub fn background(&self, file: usize, class: &str, method: &str) -> bool {
        self.background
            .contains(&(class_key(file, class), method.to_string()))
    }

    /// Is the method called only by authorization guards?
    pub fn guard_lookup(&self, file: usize, class: &str, method: &str) -> bool {
        self.guard_lookups
            .contains(&(class_key(file, class), method.to_string()))
    }

    /// Is `var` (in class.method of `file`) a fetched row, a trusted parameter or a
    /// `@Parent()` object?
    pub fn is_row(&self, file: usize, class: &str, method: &str, var: &str) -> bool {
        self.is_row_at(&class_key(file, class), method, var, 0)
    }

    /// Is `var` (in class.method of `file`), or a local it is built on, one that `named`
    /// accepts (`programId` built on `workspace`, the authenticated tenant)?
    pub fn built_on(
        &self,
        file: usize,
        class: &str,
        method: &str,
        var: &str,
        named: &dyn Fn(&str) -> bool,
    ) -> bool {
        if var.is_empty() {
            return false;
        }
        let key = (class_key(file, class), method.to_string());
        self.lineage(&key, var).iter().any(|n| named(n))
    }

    fn is_row_at(&self, class: &str, method: &str, var: &str, depth: usize) -> bool {
        let key = (class.to_string(), method.to_string());
        // A local built on a row is a row (bounded: locals can refer to each other).
        if depth < 4
            && self.derived.get(&key).is_some_and(|d| {
                d.iter()
                    .any(|(v, base)| v == var && self.is_row_at(class, method, base, depth + 1))
            })
        {
            return true;
        }
        if self.rows.get(&key).is_some_and(|r| r.contains(var)) {
            return true;
        }
        let Some(info) = self.methods.get(&key) else {
            return false;
        };
        info.parent_param.as_deref() == Some(var)
            || self
                .trusted
                .contains(&(class.to_string(), method.to_string(), var.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_identifiers() {
        assert_eq!(base_identifier("collection.id"), "collection");
        assert_eq!(base_identifier("{ in: collectionIds }"), "collectionIds");
        assert_eq!(
            base_identifier("{\n  in: rows.map((r) => r.id),\n}"),
            "rows"
        );
        assert_eq!(base_identifier("docs.map((d) => d.id)"), "docs");
        assert_eq!(base_identifier("id"), "id");
    }

    #[test]
    fn constants() {
        assert!(is_constant("null"));
        assert!(is_constant("'PREVIEW'"));
        assert!(is_constant("{ not: null }"));
        assert!(is_constant("{\n  gte: 0,\n  lt: 10,\n}"));
        assert!(!is_constant("{ in: ids }"));
        assert!(!is_constant("{ not: req.query.id }"));
        assert!(!is_constant("{ in: [a, b] }"));
        assert!(is_constant("{\n  in: [\"PRODUCTION\", \"STAGING\"],\n}"));
        assert!(!is_constant("{ not: f(x) }"));
    }

    #[test]
    fn value_cores() {
        assert_eq!(value_core("{ in: boundedIn(endpointIds) }"), "endpointIds");
        assert_eq!(value_core("String(id)"), "id");
        assert_eq!(value_core("params.projectId"), "params.projectId");
        assert_eq!(value_core("{ in: ids }"), "ids");
        assert_eq!(value_core("f(a, b)"), "f(a, b)");
        assert_eq!(value_core("{ in: ids.map((i) => i) }"), "ids.map((i) => i)");
        assert_eq!(value_core("`${surveyId}`"), "surveyId");
        assert_eq!(value_core("`a-${id}`"), "`a-${id}`");
    }
}
