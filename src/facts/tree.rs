//! One walk over a syntax tree for every fact extractor a file needs.
//!
//! Walking is a large share of fact extraction: a cursor step per node, and `kind()` turns
//! each node's kind into a checked `&str`. So a file is walked once, whatever the number of
//! extractors, and only nodes of the kinds they ask for reach them; the test is a table
//! indexed by kind id, built once per walk from the asked (named) kinds.

use tree_sitter::Node;

/// Pre-order walk of `root` that calls `visit(node, ancestors)` (ancestors root first) on
/// each node whose kind is in `kinds`. Iterative with an explicit ancestor stack: deep trees
/// cannot overflow, and extractors read ancestors without `parent()`, which tree-sitter
/// answers by descending from the root.
pub fn walk(root: Node, kinds: &[&str], mut visit: impl FnMut(Node, &[Node])) {
    // A lookup per asked kind, not a name comparison per grammar kind (hundreds of them).
    // Nodes report their public kind id, the one the lookup returns.
    let language = root.language();
    let mut wanted = vec![false; language.node_kind_count()];
    for kind in kinds {
        let id = language.id_for_node_kind(kind, true);
        if let Some(slot) = wanted.get_mut(usize::from(id)).filter(|_| id != 0) {
            *slot = true;
        }
    }
    let mut cursor = root.walk();
    let mut ancestors: Vec<Node> = Vec::new();
    'walk: loop {
        let node = cursor.node();
        if wanted
            .get(usize::from(node.kind_id()))
            .copied()
            .unwrap_or(false)
        {
            visit(node, &ancestors);
        }
        if cursor.goto_first_child() {
            ancestors.push(node);
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'walk;
            }
            if !cursor.goto_parent() {
                break 'walk;
            }
            ancestors.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::queries::Lang;

    #[test]
    fn visits_only_the_asked_kinds_with_their_ancestors() {
        let src = "class A { m() { f(g(1)); } }";
        let tree = crate::workspace::scan::parse(Lang::TypeScript, src).unwrap();
        let mut seen = Vec::new();
        walk(
            tree.root_node(),
            &["call_expression", "class_declaration"],
            |node, anc| seen.push((node.kind().to_string(), anc.len())),
        );
        let kinds: Vec<&str> = seen.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            kinds,
            ["class_declaration", "call_expression", "call_expression"]
        );
        // The inner call sits deeper than the outer one.
        assert!(seen[2].1 > seen[1].1);
    }
}
