//! Rewrites a tree-sitter query so that it compiles in a fraction of the time.
//!
//! `Query::new` analyses every pattern step that has children against the grammar's parse
//! table; for TypeScript that costs 5–20 ms per `call_expression`-like parent, far more than
//! running the query on the few files that need it. The analysis skips wildcard parents, so
//! each named parent `(call_expression …)` becomes `(_ …) @__kN`, and the node type moves to
//! a host-side predicate `(#kind? @__kN "call_expression")` that `kind_ok` checks on every
//! match. Leaves, anchors, fields, negated fields, quantifiers and the text predicates are
//! left exactly as written, so the rewritten query matches the same nodes. The original text
//! is still what a user rule is checked with at load, so its errors keep their positions.

/// The capture names this rewrite adds start with this prefix.
pub const KIND_CAPTURE: &str = "__k";
/// The host-side predicate the rewrite adds.
pub const KIND_PREDICATE: &str = "kind?";

#[derive(Debug, Clone, PartialEq)]
enum Token<'a> {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    /// Node names, field names with their colon, `_`, `.`, quantifiers, `!field`,
    /// `@capture`, `#predicate?`, strings and comments: copied as they are.
    Text(&'a str),
    Space(&'a str),
}

fn tokenize(source: &str) -> Option<Vec<Token<'_>>> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let token = match bytes[i] {
            b'(' => {
                i += 1;
                Token::Open
            }
            b')' => {
                i += 1;
                Token::Close
            }
            b'[' => {
                i += 1;
                Token::OpenBracket
            }
            b']' => {
                i += 1;
                Token::CloseBracket
            }
            b if b.is_ascii_whitespace() => {
                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                Token::Space(&source[start..i])
            }
            b';' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                Token::Space(&source[start..i])
            }
            b'"' => {
                i += 1;
                loop {
                    match bytes.get(i)? {
                        b'\\' => i += 2,
                        b'"' => {
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
                Token::Text(source.get(start..i)?)
            }
            _ => {
                while i < bytes.len()
                    && !bytes[i].is_ascii_whitespace()
                    && !matches!(bytes[i], b'(' | b')' | b'[' | b']' | b'"' | b';')
                {
                    i += 1;
                }
                Token::Text(&source[start..i])
            }
        };
        out.push(token);
    }
    Some(out)
}

/// Is this the name of a node type that can be replaced by `_`?
fn is_node_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && text != "_"
        && text != "ERROR"
        && text != "MISSING"
        && !text.contains('/')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The rewritten query, or None when the text is not one this rewrite understands (the
/// caller then compiles the original).
pub fn rewrite(source: &str) -> Option<String> {
    let tokens = tokenize(source)?;
    let next_solid =
        |from: usize| (from..tokens.len()).find(|&j| !matches!(tokens[j], Token::Space(_)));
    // Which `(` open a named parent, and where each `(` closes.
    let mut renamed: Vec<Option<&str>> = vec![None; tokens.len()];
    let mut closes_at = vec![usize::MAX; tokens.len()];
    let mut stack: Vec<usize> = Vec::new();
    // Opens on the stack that are named nodes: a node inside none of them is a pattern's root.
    let mut named: Vec<bool> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        match t {
            Token::Open | Token::OpenBracket => stack.push(i),
            Token::Close | Token::CloseBracket => {
                let open = stack.pop()?;
                named.pop();
                if matches!(t, Token::Close) != matches!(tokens[open], Token::Open) {
                    return None;
                }
                closes_at[open] = i;
            }
            _ => {}
        }
        if let Token::Open = t {
            let name = next_solid(i + 1).and_then(|j| match tokens[j] {
                Token::Text(s) if is_node_name(s) => Some(s),
                _ => None,
            });
            // A parent has something after its name other than the closing paren.
            let has_children = name.is_some()
                && next_solid(next_solid(i + 1)? + 1)
                    .is_some_and(|j| !matches!(tokens[j], Token::Close));
            // Roots keep their type: the query cursor indexes patterns by it, and a wildcard
            // root would be tried at every node of every tree.
            let is_root = !named.iter().any(|n| *n);
            if has_children && !is_root {
                renamed[i] = name;
            }
        }
        if matches!(t, Token::Open | Token::OpenBracket) {
            let is_named = matches!(t, Token::Open)
                && next_solid(i + 1)
                    .is_some_and(|j| matches!(tokens[j], Token::Text(s) if is_node_name(s)));
            named.push(is_named);
        }
    }
    if !stack.is_empty() {
        return None;
    }
    // Where a node's suffixes (quantifiers, captures) end: the kind capture goes there.
    let suffix_end = |close: usize| {
        let mut end = close + 1;
        let mut j = close + 1;
        while let Some(k) = next_solid(j) {
            match tokens[k] {
                Token::Text(s) if s.starts_with('@') || matches!(s, "*" | "+" | "?") => {
                    end = k + 1;
                    j = k + 1;
                }
                _ => break,
            }
        }
        end
    };
    let mut out = String::with_capacity(source.len() * 2);
    let mut counter = 0usize;
    let mut depth = 0usize;
    // Kind captures to add before a token, and the wrap of the current top-level pattern.
    let mut inserts: Vec<(usize, usize)> = Vec::new();
    let mut wrap: Option<Wrap> = None;
    let mut i = 0;
    while i < tokens.len() {
        finish(i, &mut out, &mut inserts, &mut wrap);
        if depth == 0 && matches!(tokens[i], Token::Open | Token::OpenBracket) {
            // A top-level pattern: wrapped in a group that carries its kind predicates.
            let end = suffix_end(closes_at[i]);
            let mut kinds = Vec::new();
            for j in i..end {
                if let Some(name) = renamed[j] {
                    counter += 1;
                    kinds.push((counter, name));
                    inserts.push((suffix_end(closes_at[j]), counter));
                }
            }
            if !kinds.is_empty() {
                out.push('(');
                wrap = Some((end, kinds));
            }
        }
        match &tokens[i] {
            Token::Open => {
                depth += 1;
                out.push('(');
                if renamed[i].is_some() {
                    // The wildcard stands in the name's place.
                    out.push('_');
                    i = next_solid(i + 1)? + 1;
                    continue;
                }
            }
            Token::OpenBracket => {
                depth += 1;
                out.push('[');
            }
            Token::Close => {
                depth -= 1;
                out.push(')');
            }
            Token::CloseBracket => {
                depth -= 1;
                out.push(']');
            }
            Token::Text(s) | Token::Space(s) => out.push_str(s),
        }
        i += 1;
    }
    finish(tokens.len(), &mut out, &mut inserts, &mut wrap);
    Some(out)
}

/// A top-level pattern's wrap: the token it ends before, and its (capture, node type) pairs.
type Wrap<'a> = (usize, Vec<(usize, &'a str)>);

/// Before token `at`: the kind captures that go there, then the close of a wrap that ends there.
fn finish(at: usize, out: &mut String, inserts: &mut Vec<(usize, usize)>, wrap: &mut Option<Wrap>) {
    inserts.retain(|(pos, k)| {
        if *pos == at {
            out.push_str(&format!(" @{KIND_CAPTURE}{k}"));
        }
        *pos != at
    });
    if let Some((_, kinds)) = wrap.take_if(|(end, _)| *end == at) {
        for (k, name) in kinds {
            out.push_str(&format!(
                " (#{KIND_PREDICATE} @{KIND_CAPTURE}{k} \"{name}\")"
            ));
        }
        out.push(')');
    }
}

/// Do the nodes of a match have the types the rewrite moved into `#kind?` predicates?
pub fn kind_ok(query: &tree_sitter::Query, m: &tree_sitter::QueryMatch<'_, '_>) -> bool {
    query
        .general_predicates(m.pattern_index)
        .iter()
        .filter(|p| p.operator.as_ref() == KIND_PREDICATE)
        .all(|p| {
            let (Some(tree_sitter::QueryPredicateArg::Capture(index)), Some(kind)) =
                (p.args.first(), p.args.get(1))
            else {
                return true;
            };
            let tree_sitter::QueryPredicateArg::String(kind) = kind else {
                return true;
            };
            m.captures()
                .iter()
                .filter(|c| c.index == *index)
                .all(|c| c.node.kind() == kind.as_ref())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_parents_become_wildcards_with_kind_predicates() {
        let q = "(call_expression function: (member_expression property: (property_identifier) @p) (#eq? @p \"x\")) @hit";
        assert_eq!(
            rewrite(q).unwrap(),
            "((call_expression function: (_ property: (property_identifier) @p) @__k1 (#eq? @p \"x\")) @hit (#kind? @__k1 \"member_expression\"))"
        );
    }

    #[test]
    fn roots_of_alternations_and_groups_keep_their_type() {
        let q = "[(a (b (c))) (d)] @x\n((e . (f (g)) .))";
        assert_eq!(
            rewrite(q).unwrap(),
            "([(a (_ (c)) @__k1) (d)] @x (#kind? @__k1 \"b\"))\n(((e . (_ (g)) @__k2 .)) (#kind? @__k2 \"f\"))"
        );
    }

    #[test]
    fn leaves_strings_and_comments_are_kept() {
        let q = "; a comment (x (y))\n(identifier) @i \"(not a node\"\n(call_expression function: (identifier))";
        assert_eq!(rewrite(q).unwrap(), q);
    }

    #[test]
    fn unbalanced_text_is_not_rewritten() {
        assert!(rewrite("(a (b)").is_none());
        assert!(rewrite("(a \"open").is_none());
    }
}
