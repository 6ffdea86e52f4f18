//! Dependency graph: topological order with cycle detection.

use std::collections::{BTreeMap, BTreeSet};

/// Orders nodes so that every node comes after its dependencies. Dependencies that are not
/// nodes are ignored. Ties are broken by node order, so the result is deterministic.
pub fn topological<N: Ord + Clone + std::fmt::Display>(nodes: &[(N, Vec<N>)]) -> Result<Vec<N>, String> {
    let known: BTreeSet<&N> = nodes.iter().map(|(n, _)| n).collect();
    let mut pending: BTreeMap<&N, BTreeSet<&N>> =
        nodes.iter().map(|(n, deps)| (n, deps.iter().filter(|d| known.contains(d)).collect())).collect();
    let mut order = Vec::with_capacity(nodes.len());
    while !pending.is_empty() {
        let ready: Vec<&N> = pending.iter().filter(|(_, deps)| deps.is_empty()).map(|(n, _)| *n).collect();
        if ready.is_empty() {
            let cycle: Vec<String> = pending.keys().map(|n| n.to_string()).collect();
            return Err(format!("dependency cycle between {}", cycle.join(", ")));
        }
        for n in ready {
            pending.remove(n);
            for deps in pending.values_mut() {
                deps.remove(n);
            }
            order.push(n.clone());
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(name: &str, deps: &[&str]) -> (String, Vec<String>) {
        (name.to_string(), deps.iter().map(|d| d.to_string()).collect())
    }

    #[test]
    fn dependencies_come_first() {
        let order = topological(&[
            n("firehose", &["role", "bucket", "lambda"]),
            n("lambda", &["role"]),
            n("role", &[]),
            n("bucket", &[]),
        ])
        .unwrap();
        let pos = |x: &str| order.iter().position(|o| o == x).unwrap();
        assert!(pos("role") < pos("lambda"));
        assert!(pos("lambda") < pos("firehose"));
        assert!(pos("bucket") < pos("firehose"));
    }

    #[test]
    fn cycles_are_errors_naming_the_nodes() {
        let err = topological(&[n("a", &["b"]), n("b", &["a"]), n("c", &[])]).unwrap_err();
        assert!(err.contains("a, b"), "{err}");
    }

    #[test]
    fn unknown_dependencies_are_ignored() {
        assert_eq!(topological(&[n("a", &["zzz"])]).unwrap(), vec!["a".to_string()]);
    }
}
