//! Head maintenance: replays the version table's rows along a plan and decides, step by step, which rows are
//! inserted, deleted or updated. It is stateful where the map is not, so it lives beside the map rather than
//! in it.

use std::collections::BinaryHeap;

use super::hash::{FastMap, FastSet};
use super::resolve::Ident;
use super::{Result, RevisionMap, Step, StepKind, VersionOp};
use crate::direction::Direction;

/// Answers "is `target` an ancestor of (or equal to) `root`?" incrementally: nodes are
/// expanded from the top in decreasing topological position, and only as deep as
/// the lowest target asked about so far, so repeated questions about one head
/// cost no more than one walk over its ancestry.
struct AncOracle {
    seen: FastSet<usize>,
    heap: BinaryHeap<(usize, usize)>,
}

impl AncOracle {
    fn new(map: &RevisionMap, root: usize) -> Self {
        let mut heap = BinaryHeap::new();
        heap.push((map.pos[root], root));
        AncOracle {
            seen: FastSet::default(),
            heap,
        }
    }

    fn reaches(&mut self, map: &RevisionMap, target: usize) -> bool {
        let floor = map.pos[target];
        while let Some(&(p, v)) = self.heap.peek() {
            if p < floor {
                break;
            }
            self.heap.pop();
            if self.seen.insert(v) {
                for &d in map.nodes[v].norm_down() {
                    self.heap.push((map.pos[d], d));
                }
            }
        }
        self.seen.contains(&target)
    }
}

/// Replays the version table's rows step by step, deciding for each step whether
/// it inserts, deletes, merges, unmerges or updates rows, exactly as existing
/// version tables were maintained.
pub(super) struct Maintainer<'m> {
    map: &'m RevisionMap,
    heads: Vec<usize>,
    in_heads: Vec<bool>,
    oracles: FastMap<usize, AncOracle>,
}

impl<'m> Maintainer<'m> {
    pub(super) fn new(map: &'m RevisionMap, rows: &[String]) -> Result<Self> {
        let mut heads = Vec::new();
        let mut in_heads = vec![false; map.nodes.len()];
        for r in rows {
            if let Some(i) = map.revision_for_ident(Ident::Text(r), None)? {
                if !in_heads[i] {
                    in_heads[i] = true;
                    heads.push(i);
                }
            }
        }
        Ok(Maintainer {
            map,
            heads,
            in_heads,
            oracles: FastMap::default(),
        })
    }

    fn id(&self, i: usize) -> String {
        self.map.nodes[i].id.clone()
    }

    fn has(&self, i: usize) -> bool {
        self.in_heads[i]
    }

    fn add_head(&mut self, v: usize) {
        if !self.in_heads[v] {
            self.in_heads[v] = true;
            self.heads.push(v);
        }
    }

    fn remove_head(&mut self, v: usize) {
        if self.in_heads[v] {
            self.in_heads[v] = false;
            if let Some(p) = self.heads.iter().position(|&h| h == v) {
                self.heads.remove(p);
            }
        }
        self.oracles.remove(&v);
    }

    fn insert(&mut self, v: usize, ops: &mut Vec<VersionOp>) {
        self.add_head(v);
        ops.push(VersionOp::Insert(self.id(v)));
    }

    fn delete(&mut self, v: usize, ops: &mut Vec<VersionOp>) {
        self.remove_head(v);
        ops.push(VersionOp::Delete(self.id(v)));
    }

    fn update(&mut self, from: usize, to: usize, ops: &mut Vec<VersionOp>) {
        match self.heads.iter().position(|&h| h == from) {
            Some(p) if !self.has(to) => {
                self.heads[p] = to;
                self.in_heads[from] = false;
                self.in_heads[to] = true;
            }
            _ => {
                self.remove_head(from);
                self.add_head(to);
            }
        }
        self.oracles.remove(&from);
        ops.push(VersionOp::Update {
            from: self.id(from),
            to: self.id(to),
        });
    }

    /// Is `p` an ancestor of (or equal to) a current row outside `excluded`?
    fn covered(&mut self, p: usize, excluded: &[usize]) -> bool {
        let map = self.map;
        let oracles = &mut self.oracles;
        // An ancestor always sits at a lower position, which rules most heads out cheaply.
        self.heads.iter().any(|&h| {
            !excluded.contains(&h)
                && map.pos[h] >= map.pos[p]
                && oracles
                    .entry(h)
                    .or_insert_with(|| AncOracle::new(map, h))
                    .reaches(map, p)
        })
    }

    /// The rows a downgrade of `r` leaves behind; empty means the branch goes away.
    fn unmerge_to(&mut self, r: usize) -> Vec<usize> {
        let map = self.map;
        let to = map.nodes[r].norm_down();
        if self.heads.iter().any(|&h| h != r) {
            to.iter()
                .copied()
                .filter(|&p| !self.covered(p, &[r]))
                .collect()
        } else if to.len() < 2 {
            to.to_vec()
        } else {
            to.iter()
                .copied()
                .filter(|&p| {
                    !to.iter()
                        .any(|&q| q != p && AncOracle::new(map, q).reaches(map, p))
                })
                .collect()
        }
    }

    pub(super) fn revision_step(&mut self, r: usize, direction: Direction) -> Step {
        let upgrade = direction == Direction::Up;
        let map = self.map;
        let node = &map.nodes[r];
        let nd = node.norm_down();
        let mut ops = Vec::new();
        let in_heads = self.has(r);
        let unmerged = (!upgrade && in_heads && !nd.is_empty()).then(|| self.unmerge_to(r));
        if !upgrade && in_heads && unmerged.as_ref().is_none_or(|u| u.is_empty()) {
            self.delete(r, &mut ops);
        } else if upgrade && !nd.iter().any(|&p| self.has(p)) {
            self.insert(r, &mut ops);
        } else if upgrade && nd.len() > 1 && nd.iter().filter(|&&p| self.has(p)).count() > 1 {
            let from: Vec<usize> = nd
                .iter()
                .copied()
                .filter(|&p| self.has(p) && !self.covered(p, nd))
                .collect();
            match from.split_last() {
                Some((&last, rest)) => {
                    for &d in rest {
                        self.delete(d, &mut ops);
                    }
                    self.update(last, r, &mut ops);
                }
                None => self.insert(r, &mut ops),
            }
        } else if !upgrade && in_heads && nd.len() > 1 {
            let to = unmerged.unwrap_or_default();
            if let Some((&last, rest)) = to.split_last() {
                for &i in rest {
                    self.insert(i, &mut ops);
                }
                self.update(r, last, &mut ops);
            }
        } else {
            let down = if nd.len() == 1 {
                nd[0]
            } else {
                let present: Vec<usize> = nd.iter().copied().filter(|&p| self.has(p)).collect();
                present.first().copied().unwrap_or(nd[0])
            };
            if upgrade {
                self.update(down, r, &mut ops);
            } else {
                self.update(r, down, &mut ops);
            }
        }
        let parents: Vec<String> = node.down.iter().map(|&d| self.id(d)).collect();
        let (from, to) = if upgrade {
            (parents, vec![node.id.clone()])
        } else {
            (vec![node.id.clone()], parents)
        };
        Step {
            kind: StepKind::Migrate {
                direction,
                revision: node.id.clone(),
            },
            from,
            to,
            version_ops: ops,
        }
    }

    pub(super) fn stamp_step(
        &mut self,
        from: &[usize],
        to: Option<usize>,
        upgrade: bool,
        branch_move: bool,
    ) -> Step {
        let mut ops = Vec::new();
        if !upgrade && branch_move {
            if let Some(&f) = from.first() {
                self.delete(f, &mut ops);
            }
        } else if let Some(t) = to {
            if upgrade && (branch_move || from.iter().any(|&f| !self.has(f))) && !self.has(t) {
                self.insert(t, &mut ops);
            } else if let Some((&last, rest)) = from.split_last() {
                for &d in rest {
                    self.delete(d, &mut ops);
                }
                self.update(last, t, &mut ops);
            }
        }
        Step {
            kind: StepKind::Stamp {
                revision: to.map(|t| self.id(t)),
            },
            from: from.iter().map(|&f| self.id(f)).collect(),
            to: to.iter().map(|&t| self.id(t)).collect(),
            version_ops: ops,
        }
    }
}
