//! Values carried down the graph from base: each revision's is computed from its own and its parents', once,
//! in topological order, so a whole history costs one pass however it branches and merges.

use std::collections::HashMap;

use super::RevisionMap;

impl RevisionMap {
    /// For every revision, `step(id, largest value among its parents)` (0 for a root), parents being those it
    /// revises and those it depends on, since an upgrade applies both first.
    pub(crate) fn carry(&self, step: impl Fn(&str, u32) -> u32) -> HashMap<&str, u32> {
        let mut order: Vec<usize> = (0..self.nodes.len()).collect();
        order.sort_unstable_by_key(|&i| self.pos[i]);
        let mut value = vec![0u32; self.nodes.len()];
        for i in order {
            let node = &self.nodes[i];
            let parents = node.all_down().iter().map(|&p| value[p]).max().unwrap_or(0);
            value[i] = step(&node.id, parents);
        }
        self.nodes
            .iter()
            .zip(value)
            .map(|(n, v)| (n.id.as_str(), v))
            .collect()
    }

    /// How many revisions lead from base to each, on the longest line, counting itself: 1 for a root.
    pub(crate) fn depths(&self) -> HashMap<&str, u32> {
        self.carry(|_, parents| parents.saturating_add(1))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Revision, RevisionMap};

    fn rev(id: &str, down: &[&str], deps: &[&str]) -> Revision {
        Revision {
            id: id.into(),
            down: down.iter().map(|s| s.to_string()).collect(),
            depends_on: deps.iter().map(|s| s.to_string()).collect(),
            branch_labels: Vec::new(),
        }
    }

    #[test]
    fn depth_is_the_longest_line_from_base_through_merges_and_dependencies() {
        // a - b - c - m
        //  \- x ----/      y depends on c
        let map = RevisionMap::new(vec![
            rev("a", &[], &[]),
            rev("b", &["a"], &[]),
            rev("c", &["b"], &[]),
            rev("x", &["a"], &[]),
            rev("m", &["c", "x"], &[]),
            rev("y", &[], &["c"]),
        ])
        .unwrap();
        let d = map.depths();
        assert_eq!(
            [d["a"], d["b"], d["c"], d["x"], d["m"], d["y"]],
            [1, 2, 3, 2, 4, 4]
        );
        let declared = |id: &str| if id == "b" { 7 } else { 0 };
        let carried = map.carry(|id, parents| parents.max(declared(id)));
        assert_eq!([carried["a"], carried["m"], carried["x"]], [0, 7, 0]);
    }
}
