//! Building a [`RevisionMap`] from revision files: every structural check (duplicate ids, missing parents and
//! dependencies, reused branch labels, cycles) happens once here, so every later walk may assume a valid DAG.

use super::hash::{FastMap, FastSet};
use super::resolve::prefix_candidates;
use super::{push_unique, reach, GraphError, Node, Result, Revision, RevisionMap};

impl RevisionMap {
    /// Validates and indexes: a duplicate id, a parent that does not exist, an unresolvable depends_on, a branch label
    /// used twice, and a cycle are all errors (dbkit is stricter than a warning here).
    pub(crate) fn new(revisions: Vec<Revision>) -> Result<RevisionMap> {
        let n = revisions.len();
        let mut ids: FastMap<String, usize> = FastMap::default();
        ids.reserve(n);
        for (i, r) in revisions.iter().enumerate() {
            if r.down.iter().any(|d| d == &r.id) {
                return Err(GraphError::SelfLoop {
                    revision: r.id.clone(),
                });
            }
            if r.depends_on.iter().any(|d| d == &r.id) {
                return Err(GraphError::DependencySelfLoop {
                    revision: r.id.clone(),
                });
            }
            if r.id.bytes().any(|b| matches!(b, b'@' | b'-' | b'+' | b':')) {
                let mut bad: Vec<String> = ['@', '-', '+', ':']
                    .iter()
                    .filter(|c| r.id.contains(**c))
                    .map(|c| c.to_string())
                    .collect();
                bad.sort();
                return Err(GraphError::IllegalCharacters {
                    revision: r.id.clone(),
                    chars: bad,
                });
            }
            if ids.insert(r.id.clone(), i).is_some() {
                return Err(GraphError::DuplicateRevision { id: r.id.clone() });
            }
        }

        let mut label_names: Vec<String> = Vec::new();
        let mut label_index: FastMap<String, usize> = FastMap::default();
        let mut label_owner: Vec<usize> = Vec::new();
        for (i, r) in revisions.iter().enumerate() {
            for l in &r.branch_labels {
                let existing = ids
                    .get(l)
                    .copied()
                    .or_else(|| label_index.get(l).map(|&k| label_owner[k]));
                if let Some(e) = existing {
                    return Err(GraphError::DuplicateBranchLabel {
                        label: l.clone(),
                        revision: r.id.clone(),
                        existing: revisions[e].id.clone(),
                    });
                }
                label_index.insert(l.clone(), label_names.len());
                label_names.push(l.clone());
                label_owner.push(i);
            }
        }

        let mut resolved_deps: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, r) in revisions.iter().enumerate() {
            for d in &r.depends_on {
                let found = ids
                    .get(d)
                    .copied()
                    .or_else(|| label_index.get(d).map(|&k| label_owner[k]))
                    .or_else(|| {
                        let all = revisions.iter().map(|r| r.id.as_str());
                        let mut revs: Vec<usize> =
                            prefix_candidates(all, &label_names, &label_owner, d)
                                .into_iter()
                                .map(|(_, rev)| rev)
                                .collect();
                        revs.dedup();
                        (revs.len() == 1).then(|| revs[0])
                    });
                match found {
                    Some(p) => push_unique(&mut resolved_deps[i], p),
                    None => {
                        return Err(GraphError::MissingDependency {
                            revision: r.id.clone(),
                            dependency: d.clone(),
                        })
                    }
                }
            }
        }

        let mut nodes: Vec<Node> = Vec::with_capacity(n);
        for (r, deps) in revisions.into_iter().zip(resolved_deps) {
            let mut down = Vec::with_capacity(r.down.len());
            for d in &r.down {
                match ids.get(d) {
                    Some(&p) => push_unique(&mut down, p),
                    None => {
                        return Err(GraphError::MissingParent {
                            revision: r.id.clone(),
                            parent: d.clone(),
                        })
                    }
                }
            }
            let mut all_down = Vec::new();
            if !deps.is_empty() {
                all_down = down.clone();
                for &d in &deps {
                    push_unique(&mut all_down, d);
                }
            }
            nodes.push(Node {
                id: r.id,
                down,
                depends_on: r.depends_on,
                deps,
                norm_deps: Vec::new(),
                norm_down: Vec::new(),
                all_down,
                next: Vec::new(),
                all_next: Vec::new(),
                own_labels: r.branch_labels,
                labels: Vec::new(),
            });
        }
        let mut has_dependents = vec![false; n];
        for i in 0..n {
            for k in 0..nodes[i].down.len() {
                let p = nodes[i].down[k];
                nodes[p].next.push(i);
            }
            for &d in &nodes[i].deps {
                if !nodes[i].down.contains(&d) {
                    has_dependents[d] = true;
                }
            }
        }
        for i in 0..n {
            for k in 0..nodes[i].all_down().len() {
                let p = nodes[i].all_down()[k];
                if has_dependents[p] {
                    nodes[p].all_next.push(i);
                }
            }
        }

        let heads: Vec<usize> = (0..n).filter(|&i| nodes[i].next.is_empty()).collect();
        let real_heads: Vec<usize> = (0..n).filter(|&i| nodes[i].all_next().is_empty()).collect();
        let bases: Vec<usize> = (0..n).filter(|&i| nodes[i].down.is_empty()).collect();
        let real_bases: Vec<usize> = (0..n)
            .filter(|&i| nodes[i].down.is_empty() && nodes[i].depends_on.is_empty())
            .collect();

        let pos = detect_cycles(&nodes, &heads, &bases, &real_heads, &real_bases)?;
        normalize_depends_on(&mut nodes, &pos);
        add_branches(&mut nodes, &label_index, &label_owner);

        Ok(RevisionMap {
            nodes,
            ids,
            label_names,
            label_index,
            label_owner,
            heads,
            real_heads,
            bases,
            pos,
        })
    }
}

fn union_sorted(into: &mut Vec<usize>, from: &[usize]) {
    for &x in from {
        if let Err(pos) = into.binary_search(&x) {
            into.insert(pos, x);
        }
    }
}

/// Iterative post-order DFS along `edges` starting from `roots` then everything else;
/// returns post-order positions, or the revisions of the first cycle found.
fn post_order<'n>(
    nodes: &'n [Node],
    roots: &[usize],
    edges: impl Fn(&'n Node) -> &'n [usize],
) -> std::result::Result<Vec<usize>, Vec<usize>> {
    let n = nodes.len();
    let mut pos = vec![usize::MAX; n];
    let mut color = vec![0u8; n];
    let mut counter = 0;
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for s in roots.iter().copied().chain(0..n) {
        if color[s] != 0 {
            continue;
        }
        color[s] = 1;
        stack.push((s, 0));
        while let Some(top) = stack.last_mut() {
            let (v, i) = *top;
            let out = edges(&nodes[v]);
            if i < out.len() {
                top.1 += 1;
                let p = out[i];
                match color[p] {
                    0 => {
                        color[p] = 1;
                        stack.push((p, 0));
                    }
                    1 => {
                        let start = stack.iter().position(|&(x, _)| x == p).unwrap_or(0);
                        return Err(stack[start..].iter().map(|&(x, _)| x).collect());
                    }
                    _ => {}
                }
            } else {
                color[v] = 2;
                pos[v] = counter;
                counter += 1;
                stack.pop();
            }
        }
    }
    Ok(pos)
}

fn ids_of(nodes: &[Node], v: impl IntoIterator<Item = usize>) -> Vec<String> {
    v.into_iter().map(|i| nodes[i].id.clone()).collect()
}

/// Reports cycles with the established wording first (revisions outside the space
/// between heads and bases), then catches the cycles that check cannot see.
/// Returns topological positions on success.
fn detect_cycles(
    nodes: &[Node],
    heads: &[usize],
    bases: &[usize],
    real_heads: &[usize],
    real_bases: &[usize],
) -> Result<Vec<usize>> {
    if nodes.is_empty() {
        return Ok(Vec::new());
    }
    // An acyclic graph passes every check below, so the detailed checks (which
    // choose the reported revisions) only run once a cycle is known to exist.
    if let Ok(pos) = post_order(nodes, real_heads, |n| n.all_down()) {
        return Ok(pos);
    }
    let outside = |a: Vec<bool>, d: Vec<bool>| -> Vec<String> {
        let mut v = ids_of(nodes, (0..nodes.len()).filter(|&i| !(a[i] && d[i])));
        v.sort();
        v
    };
    if heads.is_empty() || bases.is_empty() {
        return Err(GraphError::Cycle {
            revisions: ids_of(nodes, 0..nodes.len()),
        });
    }
    let deleted = outside(
        reach(nodes, heads.iter().copied(), |n| &n.down),
        reach(nodes, bases.iter().copied(), |n| &n.next),
    );
    if !deleted.is_empty() {
        return Err(GraphError::Cycle { revisions: deleted });
    }
    if let Err(cycle) = post_order(nodes, heads, |n| &n.down) {
        let mut v = ids_of(nodes, cycle);
        v.sort();
        return Err(GraphError::Cycle { revisions: v });
    }
    if real_heads.is_empty() || real_bases.is_empty() {
        return Err(GraphError::DependencyCycle {
            revisions: ids_of(nodes, 0..nodes.len()),
        });
    }
    let deleted = outside(
        reach(nodes, real_heads.iter().copied(), |n| n.all_down()),
        reach(nodes, real_bases.iter().copied(), |n| n.all_next()),
    );
    if !deleted.is_empty() {
        return Err(GraphError::DependencyCycle { revisions: deleted });
    }
    post_order(nodes, real_heads, |n| n.all_down()).map_err(|cycle| {
        let mut v = ids_of(nodes, cycle);
        v.sort();
        GraphError::DependencyCycle { revisions: v }
    })
}

/// Drops from each revision's dependencies those that a versioned ancestor already
/// depends on: they add no ordering constraint and must not count as extra parents
/// when version rows are merged.
fn normalize_depends_on(nodes: &mut [Node], pos: &[usize]) {
    let n = nodes.len();
    let mut dependents: FastMap<usize, Vec<usize>> = FastMap::default();
    for (i, node) in nodes.iter().enumerate() {
        for &d in &node.deps {
            dependents.entry(d).or_default().push(i);
        }
    }
    let mut drop: FastSet<(usize, usize)> = FastSet::default();
    let mut visit = vec![0u32; n];
    let mut epoch = 0u32;
    let mut targets: Vec<usize> = dependents.keys().copied().collect();
    targets.sort_unstable();
    for d in targets {
        let group = &dependents[&d];
        if group.len() < 2 {
            continue;
        }
        // Which members of the group sit strictly above another member? Only nodes up
        // to the highest member's position can lie on such a path.
        epoch += 1;
        let limit = group.iter().map(|&g| pos[g]).max().unwrap_or(0);
        let mut stack: Vec<usize> = Vec::new();
        for &g in group {
            for &c in &nodes[g].next {
                if pos[c] <= limit && visit[c] != epoch {
                    visit[c] = epoch;
                    stack.push(c);
                }
            }
        }
        while let Some(v) = stack.pop() {
            for &c in &nodes[v].next {
                if pos[c] <= limit && visit[c] != epoch {
                    visit[c] = epoch;
                    stack.push(c);
                }
            }
        }
        for &g in group {
            if visit[g] == epoch {
                drop.insert((g, d));
            }
        }
    }
    for (i, node) in nodes.iter_mut().enumerate() {
        if node.deps.is_empty() {
            continue;
        }
        node.norm_deps = node
            .deps
            .iter()
            .copied()
            .filter(|&d| !drop.contains(&(i, d)))
            .collect();
        if !node.norm_deps.is_empty() {
            let mut nd = node.down.clone();
            for &d in &node.norm_deps {
                push_unique(&mut nd, d);
            }
            node.norm_down = nd;
        }
    }
}

/// A branch label names its revision's whole line: every versioned descendant, and
/// the ancestors down to the nearest branch or merge point. Labels are applied in
/// declaration order, each carrying what earlier labels already propagated.
fn add_branches(nodes: &mut [Node], label_index: &FastMap<String, usize>, label_owner: &[usize]) {
    let n = nodes.len();
    let mut labels: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (k, &owner) in label_owner.iter().enumerate() {
        union_sorted(&mut labels[owner], &[k]);
    }
    let mut seen = vec![0u32; n];
    let mut epoch = 0u32;
    for r in 0..n {
        if nodes[r].own_labels.is_empty() {
            continue;
        }
        debug_assert!(nodes[r]
            .own_labels
            .iter()
            .all(|l| label_index.contains_key(l)));
        let carried = labels[r].clone();
        epoch += 1;
        let mut stack = vec![r];
        let mut last = r;
        while let Some(v) = stack.pop() {
            if seen[v] == epoch {
                continue;
            }
            seen[v] = epoch;
            stack.extend(nodes[v].next.iter().copied());
            union_sorted(&mut labels[v], &carried);
            last = v;
        }
        // The walk back down starts from the last descendant reached, as the
        // established implementation does.
        let mut p = Some(last);
        while let Some(v) = p {
            if nodes[v].all_next().len() > 1 || nodes[v].down.len() > 1 {
                break;
            }
            union_sorted(&mut labels[v], &carried);
            p = nodes[v].down.first().copied();
        }
    }
    for (node, l) in nodes.iter_mut().zip(labels) {
        node.labels = l;
    }
}
