//! Planning: which revisions an upgrade, a downgrade, a stamp or a history range covers, and the steps that
//! carry them out, each with the version-table operations that go with it.

use super::maintain::Maintainer;
use super::relative::walked_too_far;
use super::resolve::{Arg, At};
use super::{push_unique, GraphError, Result, RevisionMap, Step};
use crate::direction::Direction;

/// One revision's round trip: applied, reverted, applied again. Each step starts where the one before ends,
/// and the trip ends where `up` alone would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoundTrip {
    pub(crate) up: Step,
    pub(crate) down: Step,
    pub(crate) again: Step,
}

impl RevisionMap {
    /// `history -r start:end` (either side optional; `current` allowed at either end and resolved from `current`).
    pub(crate) fn history_range(&self, range: &str, current: &[String]) -> Result<Vec<&str>> {
        let bad = || GraphError::BadHistoryRange {
            range: range.to_string(),
        };
        if !range.contains(':') {
            return Err(bad());
        }
        let parts: Vec<&str> = range.trim().split(':').collect();
        if parts.len() != 2 {
            return Err(bad());
        }
        let (b, h) = (parts[0], parts[1]);
        let mut base = (!b.is_empty()).then_some(Arg::Spec(b));
        let mut head = (!h.is_empty()).then_some(Arg::Spec(h));
        if h == "current" {
            head = Some(Arg::Rows(current));
        } else if b == "current" {
            base = Some(Arg::Rows(current));
        }
        fn or_default<'a>(a: Option<Arg<'a>>, d: &'static str) -> Arg<'a> {
            match a {
                None => Arg::Spec(d),
                Some(Arg::Rows([])) => Arg::Spec(d),
                Some(a) => a,
            }
        }
        let base = or_default(base, "base");
        let head = or_default(head, "heads");
        let order = self
            .collect_upgrade(head, base, true, false, false)
            .map(|(needs, targets)| self.topo_sort(needs, &targets))
            .map_err(|e| match e {
                GraphError::RangeNotAncestor { .. } => GraphError::RangeNotAncestor {
                    start: base.display(),
                    end: head.display(),
                },
                GraphError::MultipleHeads { heads, .. } => GraphError::MultipleHeads {
                    argument: head.display(),
                    heads,
                },
                other => other,
            })?;
        Ok(self.names(&order))
    }

    /// Steps in execution order from the version table's rows (`current`) to `target`; each step carries the
    /// version-table operations that the reference tool's HeadMaintainer would perform for it.
    pub(crate) fn plan_upgrade(&self, current: &[String], target: &str) -> Result<Vec<Step>> {
        let order = self.upgrade_order(current, target)?;
        let mut maint = Maintainer::new(self, current)?;
        Ok(order
            .into_iter()
            .map(|r| maint.revision_step(r, Direction::Up))
            .collect())
    }

    /// `verify`'s plan from base to `target`: each revision in upgrade order as a [`RoundTrip`], whose steps
    /// carry the version-table operations of applying it, reverting it and applying it again.
    pub(crate) fn plan_round_trips(&self, target: &str) -> Result<Vec<RoundTrip>> {
        let order = self.upgrade_order(&[], target)?;
        let mut maint = Maintainer::new(self, &[])?;
        Ok(order
            .into_iter()
            .map(|r| RoundTrip {
                up: maint.revision_step(r, Direction::Up),
                down: maint.revision_step(r, Direction::Down),
                again: maint.revision_step(r, Direction::Up),
            })
            .collect())
    }

    /// The revisions an upgrade from `current` to `target` applies, in the order it applies them.
    fn upgrade_order(&self, current: &[String], target: &str) -> Result<Vec<usize>> {
        if target.contains(':') {
            return Err(GraphError::RangeNotAllowed {
                argument: target.to_string(),
            });
        }
        let mut order = self
            .collect_upgrade(Arg::Spec(target), Arg::Rows(current), false, true, true)
            .map(|(needs, targets)| self.topo_sort(needs, &targets))
            .map_err(|e| for_destination(e, target, true))?;
        order.reverse();
        Ok(order)
    }

    pub(crate) fn plan_downgrade(&self, current: &[String], target: &str) -> Result<Vec<Step>> {
        if target.contains(':') {
            return Err(GraphError::RangeNotAllowed {
                argument: target.to_string(),
            });
        }
        let order = self
            .collect_downgrade(current, target)
            .map(|(todo, heads)| self.topo_sort(todo, &heads))
            .map_err(|e| for_destination(e, target, false))?;
        let mut maint = Maintainer::new(self, current)?;
        Ok(order
            .into_iter()
            .map(|r| maint.revision_step(r, Direction::Down))
            .collect())
    }

    /// `stamp REV…` (several targets allowed); `purge` starts from an empty version table.
    pub(crate) fn plan_stamp(
        &self,
        current: &[String],
        targets: &[String],
        purge: bool,
    ) -> Result<Vec<Step>> {
        let rows: &[String] = if purge { &[] } else { current };
        let plan = self.stamp_plan(rows, targets).map_err(|e| match e {
            GraphError::MultipleHeads { heads, .. } => GraphError::StampMultipleHeads { heads },
            other => other,
        })?;
        let mut maint = Maintainer::new(self, rows)?;
        Ok(plan
            .into_iter()
            .map(|(from, to, upgrade, branch_move)| {
                maint.stamp_step(&from, to, upgrade, branch_move)
            })
            .collect())
    }

    /// Refuses a set of revisions where one is an ancestor of another.
    fn check_overlap(&self, revs: &[usize]) -> Result<()> {
        if revs.len() < 2 {
            return Ok(());
        }
        let parents: Vec<usize> = revs
            .iter()
            .flat_map(|&r| self.nodes[r].norm_down().iter().copied())
            .collect();
        let below = self.ancestors(&parents, true);
        if !revs.iter().any(|&r| below[r]) {
            return Ok(());
        }
        for &r in revs {
            let anc = self.ancestors(&[r], true);
            let others: Vec<String> = revs
                .iter()
                .filter(|&&o| o != r && anc[o])
                .map(|&o| self.nodes[o].id.clone())
                .collect();
            if !others.is_empty() {
                return Err(GraphError::OverlappingRevisions {
                    revision: self.nodes[r].id.clone(),
                    others,
                });
            }
        }
        Ok(())
    }

    fn collect_upgrade(
        &self,
        upper: Arg<'_>,
        lower: Arg<'_>,
        inclusive: bool,
        implicit_base: bool,
        assert_len: bool,
    ) -> Result<(Vec<bool>, Vec<usize>)> {
        let mut targets: Vec<usize> = Vec::new();
        for a in self.parse_upgrade_target(lower, upper, assert_len)? {
            match a {
                At::Rev(r) => push_unique(&mut targets, r),
                At::Base => {}
                At::Nothing => return Err(walked_too_far(&upper.display())),
            }
        }
        if let Arg::Spec(s) = lower {
            if let Some((branch, _)) = s.split_once('@') {
                let mut branch = branch.to_string();
                if let Some(r) = self.get_revision(&branch)? {
                    let n = &self.nodes[r];
                    // A revision id used as a label stands for that revision's branch.
                    if n.id == branch && n.labels.len() == 1 {
                        branch = self.label_names[n.labels[0]].clone();
                    }
                }
                let lid = self.label_index.get(&branch).copied();
                targets.retain(|&t| lid.is_some_and(|l| self.nodes[t].labels.contains(&l)));
            }
        }
        self.check_overlap(&targets)?;
        let required = self.ancestors(&targets, true);

        let range_error = || GraphError::RangeNotAncestor {
            start: lower.display(),
            end: upper.display(),
        };
        let mut current = self.get_revisions_arg(lower)?;
        if !implicit_base && current.iter().flatten().any(|&c| !required[c]) {
            return Err(range_error());
        }
        let mut lower_revs: Vec<usize> = current.iter().flatten().copied().collect();
        if matches!(current.first(), Some(None)) {
            // A relative lower bound that walked off the graph: re-read it as a downgrade target.
            let lower_spec = match lower {
                Arg::Spec(s) => s,
                Arg::Rows(r) => r.first().map(String::as_str).unwrap_or("base"),
            };
            let (_, r) = self.parse_downgrade_target(upper, lower_spec, assert_len)?;
            match r {
                At::Rev(r) => {
                    current = vec![Some(r)];
                    lower_revs = vec![r];
                }
                _ => {
                    current.clear();
                    lower_revs.clear();
                }
            }
        }
        let current: Vec<usize> = current.into_iter().flatten().collect();
        self.check_overlap(&current)?;
        let current_set = self.ancestors(&current, true);
        let mut needs: Vec<bool> = required
            .iter()
            .zip(&current_set)
            .map(|(&r, &c)| r && !c)
            .collect();
        if inclusive {
            for r in lower_revs {
                needs[r] = true;
            }
        }
        if !current.is_empty() && !implicit_base {
            let above = self.descendants(&current, false);
            for (n, a) in needs.iter_mut().zip(above) {
                *n = *n && a;
            }
        }
        Ok((needs, targets))
    }

    fn collect_downgrade(&self, rows: &[String], target: &str) -> Result<(Vec<bool>, Vec<usize>)> {
        let (label, t) = self.parse_downgrade_target(Arg::Rows(rows), target, true)?;
        let t = match t {
            At::Rev(r) => Some(r),
            _ => None,
        };
        let mut roots: Vec<usize> = match t {
            None => self.bases.clone(),
            Some(r) => self.nodes[r].next.clone(),
        };
        if let Some(l) = &label {
            if roots.len() > 1 {
                let br = self.resolve_branch(l)?;
                let anc = self.ancestors(&[br], false);
                roots.retain(|&r| anc[r]);
                if roots.is_empty() {
                    return Err(GraphError::NoDowngradeRootOnBranch { branch: l.clone() });
                }
            }
        }
        let heads: Vec<usize> = self
            .get_revisions_arg(Arg::Rows(rows))?
            .into_iter()
            .flatten()
            .collect();
        let dropped = self.descendants(&roots, true);
        let active = self.ancestors(&heads, true);
        let todo: Vec<bool> = dropped.iter().zip(&active).map(|(&d, &a)| d && a).collect();
        if let Some(t) = t {
            if !todo.iter().any(|&x| x) && !heads.contains(&t) {
                return Err(GraphError::RangeNotAncestor {
                    start: "Nothing to drop".to_string(),
                    end: Arg::Rows(rows).display(),
                });
            }
        }
        Ok((todo, heads))
    }

    #[allow(clippy::type_complexity)]
    fn stamp_plan(
        &self,
        rows: &[String],
        targets: &[String],
    ) -> Result<Vec<(Vec<usize>, Option<usize>, bool, bool)>> {
        let head_revs: Vec<usize> = self
            .get_revisions_arg(Arg::Rows(rows))?
            .into_iter()
            .flatten()
            .collect();
        let base = ["base".to_string()];
        let targets: &[String] = if targets.is_empty() { &base } else { targets };
        let mut filtered: Vec<usize> = Vec::new();
        for t in targets.iter().filter(|t| !t.is_empty()) {
            for h in self.filter_for_lineage(&head_revs, t, true)? {
                push_unique(&mut filtered, h);
            }
        }
        let mut dests: Vec<Option<usize>> = Vec::new();
        for t in targets {
            dests.extend(self.get_revisions(t)?.into_iter().flatten().map(Some));
        }
        if dests.is_empty() {
            dests.push(None);
        }
        let mut steps = Vec::new();
        for dest in dests {
            let Some(d) = dest else {
                for &h in &filtered {
                    steps.push((vec![h], None, false, true));
                }
                continue;
            };
            if filtered.contains(&d) {
                continue;
            }
            let desc = self.descendants(&[d], true);
            if filtered.iter().any(|&h| desc[h]) {
                steps.push((filtered.clone(), Some(d), false, false));
                continue;
            }
            let anc = self.ancestors(&[d], true);
            if filtered.iter().any(|&h| anc[h]) {
                steps.push((filtered.clone(), Some(d), true, false));
            } else {
                steps.push((Vec::new(), Some(d), true, true));
            }
        }
        Ok(steps)
    }
}

fn for_destination(e: GraphError, destination: &str, upgrade: bool) -> GraphError {
    match e {
        GraphError::RangeNotAncestor { .. } if upgrade => GraphError::InvalidUpgradeTarget {
            destination: destination.to_string(),
        },
        GraphError::RangeNotAncestor { .. } => GraphError::InvalidDowngradeTarget {
            destination: destination.to_string(),
        },
        GraphError::MultipleHeads { heads, .. } => GraphError::MultipleHeads {
            argument: destination.to_string(),
            heads,
        },
        other => other,
    }
}
