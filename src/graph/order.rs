//! The order revisions run and print in: heads first, one branch at a time, as existing tooling does. Kept
//! apart from planning because `history` uses the same order with nothing to run.

use super::RevisionMap;

impl RevisionMap {
    /// Orders `todo` heads-first, walking one branch at a time and postponing a
    /// revision while another pending branch still leads down to it. This reproduces
    /// the order existing tooling prints and executes, without recomputing ancestor
    /// sets: "some pending head leads down here" is tracked as a count of
    /// unemitted children, and only then are the pending heads asked, in order,
    /// whether they lead down here (through searches bounded by position).
    pub(super) fn topo_sort(&self, todo: Vec<bool>, heads: &[usize]) -> Vec<usize> {
        const OUT: u8 = 0;
        const PENDING: u8 = 1;
        const DONE: u8 = 2;
        let n = self.nodes.len();
        let mut state: Vec<u8> = todo
            .iter()
            .map(|&t| if t { PENDING } else { OUT })
            .collect();
        let members: Vec<usize> = (0..n).filter(|&i| todo[i]).collect();
        let mut pending_children = vec![0u32; n];
        for &v in &members {
            for &p in self.nodes[v].all_down() {
                if state[p] == PENDING {
                    pending_children[p] += 1;
                }
            }
        }
        let mut current: Vec<usize> = heads
            .iter()
            .copied()
            .filter(|&h| state[h] == PENDING)
            .collect();
        current.sort_unstable();
        current.dedup();
        let mut in_current = vec![false; n];
        for &h in &current {
            in_current[h] = true;
        }
        let mut search = BoundedSearch::new(n);
        let mut out = Vec::with_capacity(members.len());
        let mut idx = 0usize;
        while !current.is_empty() {
            idx = idx.min(current.len() - 1);
            let c = current[idx];
            if pending_children[c] > 0 {
                let blocker = current
                    .iter()
                    .position(|&h| h != c && search.reaches(self, h, c));
                if let Some(j) = blocker {
                    idx = j;
                    continue;
                }
            }
            if state[c] == PENDING {
                out.push(c);
                state[c] = DONE;
                for &p in self.nodes[c].all_down() {
                    if state[p] == PENDING {
                        pending_children[p] -= 1;
                    }
                }
            }
            let node = &self.nodes[c];
            in_current[c] = false;
            let add: Vec<usize> = node
                .norm_down()
                .iter()
                .copied()
                .filter(|&r| state[r] == PENDING && !in_current[r])
                .collect();
            match add.split_first() {
                None => {
                    current.remove(idx);
                    idx = idx.saturating_sub(1);
                }
                Some((&first, rest)) => {
                    current[idx] = first;
                    in_current[first] = true;
                    for &r in rest {
                        current.push(r);
                        in_current[r] = true;
                    }
                }
            }
        }
        if out.len() < members.len() {
            // Unreachable from the given heads; still emit them in a valid order.
            let mut rest: Vec<usize> = members
                .into_iter()
                .filter(|&m| state[m] == PENDING)
                .collect();
            rest.sort_by_key(|&m| std::cmp::Reverse(self.pos[m]));
            out.extend(rest);
        }
        out
    }
}

/// A one-off "is `target` an ancestor of `root`?" that never looks below the
/// target's position and reuses its buffers between questions.
struct BoundedSearch {
    visit: Vec<u32>,
    epoch: u32,
    stack: Vec<usize>,
}

impl BoundedSearch {
    fn new(n: usize) -> Self {
        BoundedSearch {
            visit: vec![0; n],
            epoch: 0,
            stack: Vec::new(),
        }
    }

    fn reaches(&mut self, map: &RevisionMap, root: usize, target: usize) -> bool {
        let floor = map.pos[target];
        if map.pos[root] < floor {
            return false;
        }
        if root == target || map.nodes[root].norm_down().contains(&target) {
            return true;
        }
        self.epoch += 1;
        self.stack.clear();
        self.stack.push(root);
        self.visit[root] = self.epoch;
        while let Some(v) = self.stack.pop() {
            for &d in map.nodes[v].norm_down() {
                if d == target {
                    return true;
                }
                if map.pos[d] > floor && self.visit[d] != self.epoch {
                    self.visit[d] = self.epoch;
                    self.stack.push(d);
                }
            }
        }
        false
    }
}
