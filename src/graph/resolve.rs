//! Resolving the revision grammar to revisions: `head`, `heads`, `base`, full and partial ids, branch labels,
//! `label@head` and `label@rev`, `current`, and the version table's rows. Relative forms are parsed and walked
//! in `relative`; this module is where every form enters.

use super::relative::{parse_relative, walked_too_far};
use super::{GraphError, Result, RevisionMap};

/// A point reached by a relative walk: before everything, the `base` marker, or a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum At {
    Nothing,
    Base,
    Rev(usize),
}

/// A resolved revision identifier awaiting lookup.
#[derive(Debug, Clone, Copy)]
pub(super) enum Ident<'s> {
    Base,
    Node(usize),
    Text(&'s str),
}

/// A revision argument: either one expression, or the rows of the version table.
#[derive(Debug, Clone, Copy)]
pub(super) enum Arg<'a> {
    Spec(&'a str),
    Rows(&'a [String]),
}

impl<'a> Arg<'a> {
    pub(super) fn items(&self) -> Vec<&'a str> {
        match *self {
            Arg::Spec(s) => vec![s],
            Arg::Rows(r) => r.iter().map(String::as_str).collect(),
        }
    }

    /// How the argument appears inside messages: rows print as a tuple literal,
    /// matching the established tool's output for `history -r current:`.
    pub(super) fn display(&self) -> String {
        match *self {
            Arg::Spec(s) => s.to_string(),
            Arg::Rows(r) => {
                let inner: Vec<String> = r.iter().map(|x| format!("'{x}'")).collect();
                if inner.len() == 1 {
                    format!("({},)", inner[0])
                } else {
                    format!("({})", inner.join(", "))
                }
            }
        }
    }
}

fn parse_int(s: &str) -> Option<i64> {
    let t = s.trim();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let v = digits.parse::<i64>().unwrap_or(i64::MAX);
    Some(if neg { -v } else { v })
}

pub(super) fn opt_at(r: Option<usize>) -> At {
    match r {
        Some(r) => At::Rev(r),
        None => At::Nothing,
    }
}

/// Keys (ids, then labels) of more than three characters starting with `prefix`,
/// with their revisions. A linear scan: it runs only when an exact lookup failed.
pub(super) fn prefix_candidates<'k>(
    ids: impl Iterator<Item = &'k str>,
    labels: &'k [String],
    owners: &[usize],
    prefix: &str,
) -> Vec<(&'k str, usize)> {
    let matches = |k: &str| k.starts_with(prefix) && k.chars().count() > 3;
    ids.enumerate()
        .filter(|(_, k)| matches(k))
        .map(|(i, k)| (k, i))
        .chain(
            labels
                .iter()
                .zip(owners)
                .filter(|(k, _)| matches(k))
                .map(|(k, &o)| (k.as_str(), o)),
        )
        .collect()
}

impl RevisionMap {
    /// Resolves any target expression to full ids: `head`, `heads`, `base`, full or partial ids (a unique prefix of an
    /// id or label longer than three characters; like existing tooling, a shorter prefix is accepted when unique),
    /// branch labels, `label@head`, `label@heads`, `label@base`, `label@rev`, `rev@head`, `current` (from `current`),
    /// and relative forms (`+N`, `-N`, `rev+N`, `rev-N`, `label@+N`, `label@head-N`, `base+N`, `heads-1`...).
    pub(crate) fn resolve(&self, spec: &str, current: &[String]) -> Result<Vec<&str>> {
        let found: Vec<At> = if spec == "current" {
            self.get_revisions_arg(Arg::Rows(current))?
                .into_iter()
                .map(opt_at)
                .collect()
        } else {
            match parse_relative(spec) {
                Some(rel) if rel.symbol.is_none() && rel.value < 0 => {
                    vec![
                        self.parse_downgrade_target(Arg::Rows(current), spec, true)?
                            .1,
                    ]
                }
                Some(_) => self.parse_upgrade_target(Arg::Rows(current), Arg::Spec(spec), true)?,
                None => self.get_revisions(spec)?.into_iter().map(opt_at).collect(),
            }
        };
        let mut out = Vec::new();
        for a in found {
            match a {
                At::Rev(r) => out.push(self.nodes[r].id.as_str()),
                At::Base => {}
                At::Nothing => return Err(walked_too_far(spec)),
            }
        }
        Ok(out)
    }

    /// What `show` lists: as `resolve`(Self::resolve), except that `-N` and `label@-N` count down from every
    /// head (that carries the label), as Alembic's `show` does, not from the database's revisions. A head that
    /// reaches base adds nothing; one that would go below it is an error.
    pub(crate) fn resolve_shown(&self, spec: &str, current: &[String]) -> Result<Vec<&str>> {
        let Some(rel) = parse_relative(spec).filter(|r| r.symbol.is_none() && r.value < 0) else {
            return self.resolve(spec, current);
        };
        let mut out = Vec::new();
        for head in self.labelled_heads(rel.label) {
            match self.walk_from(At::Rev(head), rel.value, None, true)? {
                At::Rev(r) => out.push(self.nodes[r].id.as_str()),
                At::Base => {}
                At::Nothing => return Err(walked_too_far(spec)),
            }
        }
        Ok(out)
    }

    /// What `current` prints for the given version-table rows (the reference tool's get_all_current).
    pub(crate) fn current_revisions(&self, db_heads: &[String]) -> Result<Vec<&str>> {
        let all = self.all_current(Arg::Rows(db_heads))?;
        Ok(self.names(&all))
    }

    /// All revisions that are applied when the version table holds `db_heads` (ancestors, including dependencies),
    /// bases first.
    pub(crate) fn applied(&self, db_heads: &[String]) -> Result<Vec<&str>> {
        let top: Vec<usize> = self
            .get_revisions_arg(Arg::Rows(db_heads))?
            .into_iter()
            .flatten()
            .collect();
        let marks = self.ancestors(&top, true);
        let mut all: Vec<usize> = (0..self.nodes.len()).filter(|&i| marks[i]).collect();
        all.sort_by_key(|&i| self.pos[i]);
        Ok(self.names(&all))
    }

    fn exact(&self, key: &str) -> Option<usize> {
        self.ids
            .get(key)
            .copied()
            .or_else(|| self.label_index.get(key).map(|&k| self.label_owner[k]))
    }

    pub(super) fn resolve_branch(&self, label: &str) -> Result<usize> {
        if let Some(&k) = self.label_index.get(label) {
            return Ok(self.label_owner[k]);
        }
        match self.revision_for_ident(Ident::Text(label), None) {
            Ok(Some(r)) => Ok(r),
            Ok(None) | Err(_) => Err(GraphError::NoSuchBranch {
                branch: label.to_string(),
            }),
        }
    }

    pub(super) fn revision_for_ident(
        &self,
        ident: Ident<'_>,
        check_branch: Option<&str>,
    ) -> Result<Option<usize>> {
        let branch_rev = match check_branch {
            Some(b) if !b.is_empty() => Some(self.resolve_branch(b)?),
            _ => None,
        };
        let mut branch_lineage: Option<Vec<bool>> = None;
        let (rev, argument) = match ident {
            Ident::Base => (None, String::new()),
            Ident::Node(i) => (Some(i), self.nodes[i].id.clone()),
            Ident::Text(s) => match self.exact(s) {
                Some(i) => (Some(i), s.to_string()),
                None => {
                    let all = self.nodes.iter().map(|n| n.id.as_str());
                    let mut cands = prefix_candidates(all, &self.label_names, &self.label_owner, s);
                    if let Some(b) = branch_rev {
                        let lin = self.lineage(&[b], false);
                        cands.retain(|&(_, r)| lin[r]);
                        branch_lineage = Some(lin);
                    }
                    match cands.len() {
                        0 => {
                            return Err(GraphError::UnknownRevision {
                                argument: s.to_string(),
                            })
                        }
                        1 => (Some(cands[0].1), s.to_string()),
                        _ => {
                            return Err(GraphError::AmbiguousRevision {
                                argument: s.to_string(),
                                candidates: cands.iter().take(3).map(|c| c.0.to_string()).collect(),
                            })
                        }
                    }
                }
            },
        };
        if let (Some(b), Some(r)) = (branch_rev, rev) {
            let lin = branch_lineage.unwrap_or_else(|| self.lineage(&[b], false));
            if !lin[r] {
                return Err(GraphError::NotBranchMember {
                    revision: self.nodes[r].id.clone(),
                    branch: check_branch.unwrap_or_default().to_string(),
                    argument,
                });
            }
        }
        Ok(rev)
    }

    /// The lineage filter behind `label@…` forms; `None` means "no restriction".
    pub(super) fn lineage_filter(
        &self,
        check_against: &str,
        deps: bool,
    ) -> Result<Option<Vec<bool>>> {
        let (ids, label) = self.resolve_number(check_against)?;
        let mut shares = Vec::new();
        if let Some(l) = label {
            shares.extend(self.revision_for_ident(Ident::Text(l), None)?);
        }
        for id in ids {
            shares.extend(self.revision_for_ident(id, None)?);
        }
        if shares.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.lineage(&shares, deps)))
    }

    pub(super) fn filter_for_lineage(
        &self,
        targets: &[usize],
        check_against: &str,
        deps: bool,
    ) -> Result<Vec<usize>> {
        Ok(match self.lineage_filter(check_against, deps)? {
            None => targets.to_vec(),
            Some(lin) => targets.iter().copied().filter(|&t| lin[t]).collect(),
        })
    }

    fn current_head(&self, label: Option<&str>) -> Result<Option<usize>> {
        let hs = match label {
            Some(l) => self.filter_for_lineage(&self.heads, l, false)?,
            None => self.heads.clone(),
        };
        if hs.len() > 1 {
            return Err(GraphError::MultipleHeads {
                argument: label.map_or_else(|| "head".to_string(), |l| format!("{l}@head")),
                heads: self.names(&hs).into_iter().map(String::from).collect(),
            });
        }
        Ok(hs.first().copied())
    }

    fn resolve_number<'s>(&self, spec: &'s str) -> Result<(Vec<Ident<'s>>, Option<&'s str>)> {
        let (label, id) = match spec.split_once('@') {
            Some((l, i)) => ((!l.is_empty()).then_some(l), i),
            None => (None, spec),
        };
        let ids = match id {
            "heads" => match label {
                Some(l) => self
                    .filter_for_lineage(&self.heads, l, false)?
                    .into_iter()
                    .map(Ident::Node)
                    .collect(),
                None => self.real_heads.iter().map(|&h| Ident::Node(h)).collect(),
            },
            "head" => self
                .current_head(label)?
                .into_iter()
                .map(Ident::Node)
                .collect(),
            "base" => Vec::new(),
            _ => vec![Ident::Text(id)],
        };
        Ok((ids, label))
    }

    /// Several revisions for one expression; `None` marks a negative walk that ran
    /// off the graph (callers that accept relative bounds handle it).
    pub(super) fn get_revisions(&self, spec: &str) -> Result<Vec<Option<usize>>> {
        let (ids, label) = self.resolve_number(spec)?;
        if let [Ident::Text(t)] = ids.as_slice() {
            if let Some(k) = parse_int(t).filter(|&k| k < 0) {
                return self
                    .labelled_heads(label)
                    .into_iter()
                    .map(|h| {
                        self.walk_from(At::Rev(h), k, None, true).map(|a| match a {
                            At::Rev(r) => Some(r),
                            _ => None,
                        })
                    })
                    .collect();
            }
        }
        ids.into_iter()
            .map(|i| self.revision_for_ident(i, label))
            .filter(|r| !matches!(r, Ok(None)))
            .collect()
    }

    /// The real heads, or with a label those that carry it.
    fn labelled_heads(&self, label: Option<&str>) -> Vec<usize> {
        let mut heads = self.real_heads.clone();
        if let Some(l) = label {
            let lid = self.label_index.get(l).copied();
            heads.retain(|&h| lid.is_some_and(|lid| self.nodes[h].labels.contains(&lid)));
        }
        heads
    }

    pub(super) fn get_revisions_arg(&self, arg: Arg<'_>) -> Result<Vec<Option<usize>>> {
        let mut out = Vec::new();
        for s in arg.items() {
            out.extend(self.get_revisions(s)?);
        }
        Ok(out)
    }

    pub(super) fn get_revision(&self, spec: &str) -> Result<Option<usize>> {
        let (ids, label) = self.resolve_number(spec)?;
        if ids.len() > 1 {
            let heads = ids
                .iter()
                .map(|i| match i {
                    Ident::Node(n) => self.nodes[*n].id.clone(),
                    Ident::Text(t) => t.to_string(),
                    Ident::Base => String::new(),
                })
                .collect();
            return Err(GraphError::MultipleHeads {
                argument: spec.to_string(),
                heads,
            });
        }
        self.revision_for_ident(ids.first().copied().unwrap_or(Ident::Base), label)
    }

    pub(super) fn get_revision_at(&self, spec: &str) -> Result<At> {
        Ok(match self.get_revision(spec)? {
            Some(r) => At::Rev(r),
            None => At::Nothing,
        })
    }

    pub(super) fn all_current(&self, rows: Arg<'_>) -> Result<Vec<usize>> {
        let top: Vec<usize> = self
            .get_revisions_arg(rows)?
            .into_iter()
            .flatten()
            .collect();
        let set = self.ancestors(&top, true);
        // The set is closed under ancestry, so a member with a versioned descendant in
        // the set has a versioned child in it.
        Ok((0..self.nodes.len())
            .filter(|&i| set[i] && !self.nodes[i].next.iter().any(|&c| set[c]))
            .collect())
    }
}
