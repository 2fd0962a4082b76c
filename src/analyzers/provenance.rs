//! Where a method's arguments come from, across the files whose Prisma facts were extracted
//! (services, controllers, resolvers): a parameter is *trusted* when every call that reaches it
//! passes a value taken from a row the code fetched (`collection.id`, a loop variable over
//! fetched rows), from a GraphQL field resolver's `@Parent()` object (a row another resolver
//! already returned), or from another trusted parameter. Private methods are called only by
//! their class; a public method's callers in files that neither name Prisma nor hold a
//! controller or resolver are not seen, so it counts as trusted only when all its seen callers
//! are.

use crate::facts::prisma_calls::{MethodCall, MethodInfo, PrismaFacts};
use std::collections::{BTreeMap, BTreeSet};

/// (class, method, parameter index).
type ParamKey = (String, String, usize);

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
}

/// The identifier an expression is built on: `collection` for `collection.id`,
/// `ids` for `{ in: ids }`, `docs` for `docs.map((d) => d.id)`.
pub fn base_identifier(expr: &str) -> &str {
    let mut e = expr.trim();
    for wrapper in ["{ in:", "{in:", "{ equals:", "{equals:"] {
        if let Some(inner) = e.strip_prefix(wrapper) {
            e = inner.trim_start();
        }
    }
    let end = e
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(e.len());
    &e[..end]
}

/// A value that carries no caller input: `null`, `true`, `42`, `'x'`, `Role.ADMIN`.
pub fn is_constant(expr: &str) -> bool {
    let e = expr.trim();
    matches!(e, "null" | "true" | "false" | "undefined")
        || e.parse::<f64>().is_ok()
        || e.starts_with(['\'', '"'])
        || (e.starts_with(|c: char| c.is_ascii_uppercase())
            && e.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.'))
}

impl Provenance {
    pub fn build(facts: &[&PrismaFacts]) -> Provenance {
        let mut p = Provenance::default();
        for f in facts {
            // `const ids = docs.map((d) => d.id)`: built on `docs`.
            for (class, method, var, base) in &f.derived {
                p.derived
                    .entry((class.clone(), method.clone()))
                    .or_default()
                    .push((var.clone(), base.clone()));
            }
            for call in &f.calls {
                if let (Some((class, method)), Some(var)) = (&call.method, &call.result_var) {
                    p.rows
                        .entry((class.clone(), method.clone()))
                        .or_default()
                        .insert(var.clone());
                }
            }
            for m in &f.methods {
                p.methods
                    .insert((m.class.clone(), m.name.clone()), m.clone());
            }
        }
        let injected: BTreeMap<(String, String), String> = facts
            .iter()
            .flat_map(|f| f.injected.iter())
            .map(|(class, field, ty)| ((class.clone(), field.clone()), ty.clone()))
            .collect();
        let calls: Vec<&MethodCall> = facts.iter().flat_map(|f| f.method_calls.iter()).collect();
        // The class each call lands in: its own, or the injected field's type.
        let callee_class = |c: &MethodCall| -> Option<String> {
            match &c.target {
                None => Some(c.class.clone()),
                Some(field) => injected.get(&(c.class.clone(), field.clone())).cloned(),
            }
        };
        let guards: BTreeSet<&str> = p
            .methods
            .values()
            .filter(|m| m.name == "canActivate")
            .map(|m| m.class.as_str())
            .collect();
        let mut guard_lookups = BTreeSet::new();
        for (class, name) in p.methods.keys() {
            let mut sites = calls
                .iter()
                .filter(|c| &c.method == name && callee_class(c).as_ref() == Some(class))
                .peekable();
            if sites.peek().is_some() && sites.all(|c| guards.contains(c.class.as_str())) {
                guard_lookups.insert((class.clone(), name.clone()));
            }
        }
        p.guard_lookups = guard_lookups;
        // A fixpoint: trusting one parameter can make the arguments of its callees trusted.
        for _ in 0..8 {
            let mut grew = false;
            for ((class, name), info) in &p.methods {
                let sites: Vec<&&MethodCall> = calls
                    .iter()
                    .filter(|c| &c.method == name && callee_class(c).as_ref() == Some(class))
                    .collect();
                if sites.is_empty() {
                    continue;
                }
                for i in 0..info.params.len() {
                    let key = (class.clone(), name.clone(), i);
                    if p.trusted.contains(&key) {
                        continue;
                    }
                    let all = sites
                        .iter()
                        .all(|c| c.args.get(i).is_some_and(|a| p.trusted_in(a, c)));
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
        p
    }

    /// Is the argument expression, at this call site, built on a trusted value?
    fn trusted_in(&self, arg: &str, site: &MethodCall) -> bool {
        let base = base_identifier(arg);
        let rows = |v: &str| self.is_row(&site.class, &site.caller, v);
        rows(base)
            || site
                .row_aliases
                .iter()
                .any(|(alias, from)| alias == base && rows(from))
    }

    /// Is the method called only by authorization guards?
    pub fn guard_lookup(&self, class: &str, method: &str) -> bool {
        self.guard_lookups
            .contains(&(class.to_string(), method.to_string()))
    }

    /// Is `var` (in class.method) a fetched row, a trusted parameter or a `@Parent()` object?
    pub fn is_row(&self, class: &str, method: &str, var: &str) -> bool {
        self.is_row_at(class, method, var, 0)
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
            || info.params.iter().enumerate().any(|(i, p)| {
                p == var
                    && self
                        .trusted
                        .contains(&(class.to_string(), method.to_string(), i))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_identifiers() {
        assert_eq!(base_identifier("collection.id"), "collection");
        assert_eq!(base_identifier("{ in: collectionIds }"), "collectionIds");
        assert_eq!(base_identifier("docs.map((d) => d.id)"), "docs");
        assert_eq!(base_identifier("id"), "id");
    }
}
