//! How the tree is shown: the compact view that lifts structural buddy nodes out of the
//! way (utilisation figures are in `usage`).

/// A node of a displayed tree: any payload with its children.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Node<T> {
    pub item: T,
    pub children: Vec<Node<T>>,
}

/// Replaces every structural node (a subdivided node with nothing of its own) by its
/// children, recursively, so `203.0.113.0/24` lists `.0/26`, `.64/27`, `.96/29`, ...
pub fn compact<T>(nodes: Vec<Node<T>>, structural: &impl Fn(&T) -> bool) -> Vec<Node<T>> {
    let mut out = Vec::with_capacity(nodes.len());
    for node in nodes {
        let children = compact(node.children, structural);
        if structural(&node.item) && !children.is_empty() {
            out.extend(children);
        } else {
            out.push(Node {
                item: node.item,
                children,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &'static str, children: Vec<Node<&'static str>>) -> Node<&'static str> {
        Node {
            item: name,
            children,
        }
    }

    #[test]
    fn structural_nodes_are_lifted_recursively() {
        let tree = vec![node(
            "/24",
            vec![
                node(
                    "s/25",
                    vec![
                        node("/26", vec![]),
                        node("s/26", vec![node("/27a", vec![]), node("/27b", vec![])]),
                    ],
                ),
                node("/25", vec![]),
            ],
        )];
        let shown = compact(tree, &|n: &&str| n.starts_with('s'));
        let names: Vec<&str> = shown[0].children.iter().map(|n| n.item).collect();
        assert_eq!(names, ["/26", "/27a", "/27b", "/25"]);
    }
}
