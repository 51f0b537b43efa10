//! The revision graph: a pure, in-memory DAG of revision files, with no I/O.
//!
//! Every migration command needs the same answers: which revisions exist, how they
//! hang together, what a target expression such as `ae10+2` or `feature@head`
//! means, in which order revisions run, and which rows the version table gains or
//! loses at every step. Keeping those answers here, away from files and databases,
//! lets them be tested exhaustively and keeps dbkit compatible with existing version
//! tables: the resolution rules, the planning order, the row bookkeeping and the
//! error wordings follow the established tool that those tables came from.
//!
//! Revisions are interned as indices and linked by adjacency lists. Every walk is
//! iterative and linear in the number of revisions it touches, so histories of
//! 100,000 revisions stay interactive and a long linear chain cannot overflow the
//! stack.
//!
//! The map itself and the questions every part asks of it (ancestors, descendants, lineage) live here; the
//! rest is split by what it answers: `build` validates and indexes revision files into a map, `resolve`
//! and `relative` turn the revision grammar into revisions, `plan` and `order` choose what runs and in
//! which order, and `maintain` replays the version table's rows along a plan.

mod build;
mod depth;
mod error;
mod hash;
mod maintain;
mod order;
mod plan;
mod relative;
mod resolve;
#[cfg(test)]
mod tests;

use std::collections::HashSet;

use hash::FastMap;

use crate::direction::Direction;

pub(crate) use error::{GraphEnd, GraphError};
pub(crate) use plan::RoundTrip;

/// What one revision file declares. `down` is `Revises:` (empty for a root, several for a merge); `depends_on`
/// holds ids, partial ids or branch labels as written; `branch_labels` are this revision's own labels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Revision {
    pub(crate) id: String,
    pub(crate) down: Vec<String>,
    pub(crate) depends_on: Vec<String>,
    pub(crate) branch_labels: Vec<String>,
}

/// Facts needed to print a revision the way `history`, `heads` and `show` do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RevInfo<'a> {
    pub(crate) id: &'a str,
    /// Versioned parents (`Revises:`), as declared.
    pub(crate) down: Vec<&'a str>,
    /// `depends_on` exactly as written in the file (this is what listings print).
    pub(crate) depends_on: &'a [String],
    /// `depends_on` resolved to full revision ids.
    pub(crate) dependencies: Vec<&'a str>,
    /// Branch labels after propagation along the branch, sorted.
    pub(crate) branch_labels: Vec<&'a str>,
    /// Versioned children (revisions that name this one in `Revises:`).
    pub(crate) children: Vec<&'a str>,
    /// Nothing revises or depends on this revision.
    pub(crate) is_head: bool,
    /// Nothing revises this revision, but something depends on it.
    pub(crate) is_effective_head: bool,
    pub(crate) is_base: bool,
    pub(crate) is_branch_point: bool,
    pub(crate) is_merge_point: bool,
}

/// One step of a plan: what it does, and the version-table rows it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    pub(crate) kind: StepKind,
    /// For the log line "Running upgrade <from, comma-joined> -> <to, comma-joined>".
    pub(crate) from: Vec<String>,
    pub(crate) to: Vec<String>,
    pub(crate) version_ops: Vec<VersionOp>,
}

/// A step either runs one revision's SQL or only moves the version table; only the first has a direction and
/// always has a revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StepKind {
    /// Runs `revision`'s section for `direction`.
    Migrate {
        direction: Direction,
        revision: String,
    },
    /// Moves the version table to `revision` without running SQL; None when stamping to base.
    Stamp { revision: Option<String> },
}

impl Step {
    /// The revision whose SQL runs, or the one being stamped to (None when stamping to base).
    pub(crate) fn revision(&self) -> Option<&str> {
        match &self.kind {
            StepKind::Migrate { revision, .. } => Some(revision),
            StepKind::Stamp { revision } => revision.as_deref(),
        }
    }

    /// The direction the step's SQL runs in; None for a stamp, which runs none.
    pub(crate) fn direction(&self) -> Option<Direction> {
        match self.kind {
            StepKind::Migrate { direction, .. } => Some(direction),
            StepKind::Stamp { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VersionOp {
    Insert(String),
    Delete(String),
    Update { from: String, to: String },
}

type Result<T> = std::result::Result<T, GraphError>;

#[derive(Debug)]
struct Node {
    id: String,
    down: Vec<usize>,
    depends_on: Vec<String>,
    deps: Vec<usize>,
    norm_deps: Vec<usize>,
    /// Versioned parents plus the dependencies not already implied by an ancestor;
    /// this is what ordering and version-row bookkeeping follow.
    norm_down: Vec<usize>,
    all_down: Vec<usize>,
    next: Vec<usize>,
    all_next: Vec<usize>,
    own_labels: Vec<String>,
    labels: Vec<usize>,
}

// Most revisions have no dependencies and no dependents, so the combined
// adjacency lists are only stored when they differ from the versioned ones.
impl Node {
    fn all_down(&self) -> &[usize] {
        if self.deps.is_empty() {
            &self.down
        } else {
            &self.all_down
        }
    }

    fn norm_down(&self) -> &[usize] {
        if self.norm_deps.is_empty() {
            &self.down
        } else {
            &self.norm_down
        }
    }

    fn all_next(&self) -> &[usize] {
        if self.all_next.is_empty() {
            &self.next
        } else {
            &self.all_next
        }
    }
}

fn push_unique(v: &mut Vec<usize>, x: usize) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// Marks everything reachable from `starts` (inclusive) along `edges`.
fn reach<'n>(
    nodes: &'n [Node],
    starts: impl IntoIterator<Item = usize>,
    edges: impl Fn(&'n Node) -> &'n [usize],
) -> Vec<bool> {
    let mut seen = vec![false; nodes.len()];
    let mut stack: Vec<usize> = Vec::new();
    for s in starts {
        if !seen[s] {
            seen[s] = true;
            stack.push(s);
        }
    }
    while let Some(v) = stack.pop() {
        for &p in edges(&nodes[v]) {
            if !seen[p] {
                seen[p] = true;
                stack.push(p);
            }
        }
    }
    seen
}

/// The validated, indexed revision graph.
#[derive(Debug)]
pub(crate) struct RevisionMap {
    nodes: Vec<Node>,
    ids: FastMap<String, usize>,
    label_names: Vec<String>,
    label_index: FastMap<String, usize>,
    label_owner: Vec<usize>,
    heads: Vec<usize>,
    real_heads: Vec<usize>,
    bases: Vec<usize>,
    /// Topological position (ancestors first), laid out depth-first from the heads so
    /// that a branch occupies a contiguous range; bounded searches rely on this.
    pos: Vec<usize>,
}

impl RevisionMap {
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub(crate) fn contains(&self, id: &str) -> bool {
        self.ids.contains_key(id)
    }

    /// Facts needed to print a revision the way the reference tool does.
    pub(crate) fn info(&self, id: &str) -> Option<RevInfo<'_>> {
        let i = *self.ids.get(id)?;
        let n = &self.nodes[i];
        let mut labels: Vec<&str> = n
            .labels
            .iter()
            .map(|&l| self.label_names[l].as_str())
            .collect();
        labels.sort_unstable();
        Some(RevInfo {
            id: &n.id,
            down: self.names(&n.down),
            depends_on: &n.depends_on,
            dependencies: self.names(&n.deps),
            branch_labels: labels,
            children: self.names(&n.next),
            is_head: n.all_next().is_empty(),
            is_effective_head: n.next.is_empty() && !n.all_next().is_empty(),
            is_base: n.down.is_empty(),
            is_branch_point: n.next.len() > 1,
            is_merge_point: n.down.len() > 1,
        })
    }

    /// Real heads: revisions that nothing revises or depends on (what `heads` means as a target).
    pub(crate) fn heads(&self) -> Vec<&str> {
        self.names(&self.real_heads)
    }

    /// Whether version-table rows are exactly the real heads (what `current --check-heads` asks). With no
    /// revisions at all, an empty table is.
    pub(crate) fn at_heads(&self, rows: &[String]) -> bool {
        let rows: HashSet<&str> = rows.iter().map(String::as_str).collect();
        rows == self.heads().into_iter().collect()
    }

    /// Revisions that nothing revises, including depended-on ones ("effective heads");
    /// this is what the `heads` command lists unless asked to resolve dependencies.
    pub(crate) fn versioned_heads(&self) -> Vec<&str> {
        self.names(&self.heads)
    }

    #[cfg(test)]
    pub(crate) fn bases(&self) -> Vec<&str> {
        self.names(&self.bases)
    }

    /// All revisions from heads down to bases, in the order `history` prints them (heads first).
    pub(crate) fn walk(&self) -> Vec<&str> {
        let all = vec![true; self.nodes.len()];
        let order = self.topo_sort(all, &self.real_heads);
        self.names(&order)
    }

    fn names(&self, v: &[usize]) -> Vec<&str> {
        v.iter().map(|&i| self.nodes[i].id.as_str()).collect()
    }

    fn ancestors(&self, starts: &[usize], deps: bool) -> Vec<bool> {
        if deps {
            reach(&self.nodes, starts.iter().copied(), |n| n.norm_down())
        } else {
            reach(&self.nodes, starts.iter().copied(), |n| &n.down)
        }
    }

    fn descendants(&self, starts: &[usize], deps: bool) -> Vec<bool> {
        if deps {
            reach(&self.nodes, starts.iter().copied(), |n| n.all_next())
        } else {
            reach(&self.nodes, starts.iter().copied(), |n| &n.next)
        }
    }

    /// Everything that shares a line of descent with `of`. Sharing lineage is
    /// symmetric, so one pass from the few reference revisions answers the
    /// question for any number of candidates.
    fn lineage(&self, of: &[usize], deps: bool) -> Vec<bool> {
        let a = self.ancestors(of, deps);
        let d = self.descendants(of, deps);
        a.into_iter().zip(d).map(|(x, y)| x || y).collect()
    }
}
