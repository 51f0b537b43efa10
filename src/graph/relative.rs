//! Relative targets: `+N`, `-N`, `rev+N`, `label@head-N` and the like. What a count means depends on the
//! direction and on the version table's rows, so upgrade and downgrade targets are parsed apart, and a walk
//! that runs off the graph says which end it ran past.

use super::resolve::{opt_at, Arg, At};
use super::{GraphEnd, GraphError, Result, RevisionMap};

/// The `[label@][symbol](+|-)N` relative form, matched from the start of the text.
#[derive(Debug, Clone, Copy)]
pub(super) struct Relative<'s> {
    pub(super) label: Option<&'s str>,
    pub(super) symbol: Option<&'s str>,
    pub(super) text: &'s str,
    pub(super) value: i64,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn match_relative_tail(s: &str) -> Option<(Option<&str>, &str, i64)> {
    let word_end = s.find(|c: char| !is_word(c)).unwrap_or(s.len());
    let symbol = if word_end == 0 {
        None
    } else {
        Some(&s[..word_end])
    };
    let rest = &s[word_end..];
    let sign = rest.chars().next()?;
    if sign != '+' && sign != '-' {
        return None;
    }
    let digits_len = rest[1..]
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len() - 1);
    if digits_len == 0 {
        return None;
    }
    let text = &rest[..1 + digits_len];
    let magnitude = rest[1..1 + digits_len].parse::<i64>().unwrap_or(i64::MAX);
    let value = if sign == '-' { -magnitude } else { magnitude };
    Some((symbol, text, value))
}

pub(super) fn parse_relative(s: &str) -> Option<Relative<'_>> {
    // The label group is lazy: the first '@' after at least one character that
    // leaves a valid relative tail wins; otherwise try without a label.
    for (i, c) in s.char_indices() {
        if c == '@' && i > 0 {
            if let Some((symbol, text, value)) = match_relative_tail(&s[i + 1..]) {
                return Some(Relative {
                    label: Some(&s[..i]),
                    symbol,
                    text,
                    value,
                });
            }
        }
    }
    let (symbol, text, value) = match_relative_tail(s)?;
    Some(Relative {
        label: None,
        symbol,
        text,
        value,
    })
}

/// A relative target that ran off the graph: a negative count ran past base, anything else past a head.
pub(super) fn walked_too_far(target: &str) -> GraphError {
    let end = match parse_relative(target) {
        Some(rel) if rel.value < 0 => GraphEnd::Base,
        _ => GraphEnd::Head,
    };
    GraphError::WalkedTooFar {
        target: target.to_string(),
        end,
    }
}

impl RevisionMap {
    pub(super) fn walk_from(
        &self,
        start: At,
        steps: i64,
        label: Option<&str>,
        no_overwalk: bool,
    ) -> Result<At> {
        let filter = match (steps > 0, label) {
            (true, Some(l)) => self.lineage_filter(l, false)?,
            _ => None,
        };
        let mut cur = start;
        for _ in 0..steps.unsigned_abs() {
            let children: Vec<At> = if steps > 0 {
                let up: &[usize] = match cur {
                    At::Rev(r) => &self.nodes[r].next,
                    _ => &self.bases,
                };
                up.iter()
                    .copied()
                    .filter(|&c| filter.as_ref().is_none_or(|f| f[c]))
                    .map(At::Rev)
                    .collect()
            } else {
                // Nothing lies below `base`. (Alembic walks down from the heads here, so that `base-1` means
                // the head; the callers refuse a count down from base instead.)
                match cur {
                    At::Base | At::Nothing => Vec::new(),
                    At::Rev(r) if self.nodes[r].down.is_empty() => vec![At::Base],
                    At::Rev(r) => self.nodes[r].down.iter().map(|&d| At::Rev(d)).collect(),
                }
            };
            match children.len() {
                0 => return Ok(if no_overwalk { At::Nothing } else { cur }),
                1 => cur = children[0],
                _ => return Err(GraphError::AmbiguousWalk),
            }
        }
        Ok(cur)
    }

    pub(super) fn parse_upgrade_target(
        &self,
        current: Arg<'_>,
        target: Arg<'_>,
        assert_len: bool,
    ) -> Result<Vec<At>> {
        let absolute = |s: Arg<'_>| -> Result<Vec<At>> {
            Ok(self.get_revisions_arg(s)?.into_iter().map(opt_at).collect())
        };
        let Arg::Spec(t) = target else {
            return absolute(target);
        };
        let Some(rel) = parse_relative(t) else {
            return absolute(target);
        };
        let count = rel.value.unsigned_abs();
        if rel.value > 0 {
            let Some(symbol) = rel.symbol else {
                let items = current.items();
                let start = if let Some(l) = rel.label {
                    let revs: Vec<usize> = self
                        .get_revisions_arg(current)?
                        .into_iter()
                        .flatten()
                        .collect();
                    let mut starts: Vec<At> = self
                        .filter_for_lineage(&revs, l, false)?
                        .into_iter()
                        .map(At::Rev)
                        .collect();
                    if starts.is_empty() {
                        // The branch has no current head: start from the tips of what is
                        // applied on it, or from nothing at all.
                        let applied = self.ancestors(&revs, true);
                        let list: Vec<usize> =
                            (0..self.nodes.len()).filter(|&i| applied[i]).collect();
                        let active = self.filter_for_lineage(&list, l, false)?;
                        let mut is_down = vec![false; self.nodes.len()];
                        for &a in &active {
                            for &d in self.nodes[a].norm_down() {
                                is_down[d] = true;
                            }
                        }
                        starts = active
                            .into_iter()
                            .filter(|&a| !is_down[a])
                            .map(At::Rev)
                            .collect();
                        if starts.is_empty() {
                            starts.push(At::Nothing);
                        }
                    }
                    if starts.len() > 1 {
                        return Err(GraphError::AmbiguousUpgrade);
                    }
                    starts[0]
                } else {
                    if items.len() > 1 {
                        return Err(GraphError::AmbiguousUpgrade);
                    }
                    match items.first() {
                        Some(s) => self.get_revision_at(s)?,
                        None => At::Nothing,
                    }
                };
                let r = self.walk_from(start, rel.value, rel.label, assert_len)?;
                if r == At::Nothing {
                    return Err(GraphError::RelativeTooShort {
                        relative: rel.text.to_string(),
                        count,
                    });
                }
                return Ok(vec![r]);
            };
            let start = self.get_revision_at(symbol)?;
            Ok(vec![
                self.walk_from(start, rel.value, rel.label, assert_len)?
            ])
        } else {
            let Some(symbol) = rel.symbol else {
                return Err(GraphError::RelativeTooShort {
                    relative: rel.value.to_string(),
                    count,
                });
            };
            let start = match rel.label {
                Some(l) => self.get_revision_at(&format!("{l}@{symbol}"))?,
                None => self.get_revision_at(symbol)?,
            };
            if start == At::Nothing {
                return Err(walked_too_far(t));
            }
            Ok(vec![self.walk_from(start, rel.value, None, assert_len)?])
        }
    }

    pub(super) fn parse_downgrade_target(
        &self,
        current: Arg<'_>,
        target: &str,
        assert_len: bool,
    ) -> Result<(Option<String>, At)> {
        if let Some(rel) = parse_relative(target) {
            let count = rel.value.unsigned_abs();
            let too_short = || GraphError::RelativeTooShort {
                relative: rel.text.to_string(),
                count,
            };
            if rel.value >= 0 {
                let Some(symbol) = rel.symbol else {
                    return Err(too_short());
                };
                let start = self.get_revision_at(symbol)?;
                let r = self.walk_from(start, rel.value, rel.label, assert_len)?;
                if r == At::Nothing {
                    let label = rel.label.map(|l| format!("{l}@")).unwrap_or_default();
                    return Err(GraphError::DowngradeCountsUp {
                        target: target.to_string(),
                        down: format!("{label}{symbol}-{count}"),
                    });
                }
                return Ok((rel.label.map(String::from), r));
            }
            let relative_to_current = rel.symbol.is_none();
            let mut label = rel.label.map(String::from);
            let symbol: String = match rel.symbol {
                Some(s) => s.to_string(),
                None => match rel.label {
                    Some(l) => {
                        let revs: Vec<usize> = self
                            .get_revisions_arg(current)?
                            .into_iter()
                            .flatten()
                            .collect();
                        let mut on_branch = self.filter_for_lineage(&revs, l, false)?;
                        if on_branch.is_empty() {
                            // Several branches may hide behind one row when the other
                            // branch heads are dependencies of it.
                            let all = self.all_current(current)?;
                            on_branch = self.filter_for_lineage(&all, l, false)?;
                        }
                        match on_branch.as_slice() {
                            [one] => self.nodes[*one].id.clone(),
                            [] => return Err(too_short()),
                            _ => return Err(GraphError::AmbiguousWalk),
                        }
                    }
                    None => {
                        let mut heads = current.items();
                        heads.sort_unstable();
                        heads.dedup();
                        match heads.as_slice() {
                            [] => return Err(too_short()),
                            // Restrict the walk to the branch of the one head.
                            [one] => {
                                label = Some(one.to_string());
                                one.to_string()
                            }
                            _ => {
                                return Err(GraphError::AmbiguousRelativeDowngrade {
                                    relative: rel.text.to_string(),
                                    heads: heads.iter().map(|h| h.to_string()).collect(),
                                })
                            }
                        }
                    }
                },
            };
            let start = match &label {
                None => self.get_revision_at(&symbol)?,
                Some(l) => self.get_revision_at(&format!("{l}@{symbol}"))?,
            };
            if start == At::Nothing {
                return Err(walked_too_far(target));
            }
            let r = self.walk_from(start, rel.value, None, assert_len)?;
            if r == At::Nothing {
                return Err(if relative_to_current {
                    too_short()
                } else {
                    walked_too_far(target)
                });
            }
            return Ok((label, r));
        }
        let (label, symbol) = match target.rsplit_once('@') {
            Some((l, s)) => ((!l.is_empty()).then(|| l.to_string()), s),
            None => (None, target),
        };
        Ok((label, self.get_revision_at(symbol)?))
    }
}
