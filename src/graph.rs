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

use std::collections::{BinaryHeap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use thiserror::Error;

/// A small multiplicative hasher. Revision ids are not attacker-controlled, and the
/// default hasher dominates building a large graph in unoptimised builds.
#[derive(Default, Clone, Copy)]
struct FastHasher(u64);

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        // Multiplication only carries entropy upwards; fold it back so the low bits
        // (which pick the bucket) depend on every byte.
        let mut x = self.0;
        x ^= x >> 30;
        x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x ^= x >> 27;
        x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(tail) ^ (rest.len() as u64) << 56);
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;
type FastSet<K> = HashSet<K, BuildHasherDefault<FastHasher>>;

/// What one revision file declares. `down` is `Revises:` (empty for a root, several for a merge); `depends_on`
/// holds ids, partial ids or branch labels as written; `branch_labels` are this revision's own labels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Revision {
    pub id: String,
    pub down: Vec<String>,
    pub depends_on: Vec<String>,
    pub branch_labels: Vec<String>,
}

/// Facts needed to print a revision the way `history`, `heads` and `show` do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevInfo<'a> {
    pub id: &'a str,
    /// Versioned parents (`Revises:`), as declared.
    pub down: Vec<&'a str>,
    /// `depends_on` exactly as written in the file (this is what listings print).
    pub depends_on: &'a [String],
    /// `depends_on` resolved to full revision ids.
    pub dependencies: Vec<&'a str>,
    /// Branch labels after propagation along the branch, sorted.
    pub branch_labels: Vec<&'a str>,
    /// Versioned children (revisions that name this one in `Revises:`).
    pub children: Vec<&'a str>,
    /// Nothing revises or depends on this revision.
    pub is_head: bool,
    /// Nothing revises this revision, but something depends on it.
    pub is_effective_head: bool,
    pub is_base: bool,
    pub is_branch_point: bool,
    pub is_merge_point: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Upgrade,
    Downgrade,
    Stamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub direction: Direction,
    /// The revision whose SQL runs (upgrade, downgrade); for a stamp, the revision being stamped to (None when stamping to base).
    pub revision: Option<String>,
    /// For the log line "Running upgrade <from, comma-joined> -> <to, comma-joined>".
    pub from: Vec<String>,
    pub to: Vec<String>,
    pub version_ops: Vec<VersionOp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionOp {
    Insert(String),
    Delete(String),
    Update { from: String, to: String },
}

/// Errors carry the ids and arguments involved so callers can name files; their
/// Display texts are the command-line wordings that users of existing version
/// tables already grep for.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GraphError {
    #[error("Can't locate revision identified by '{argument}'")]
    UnknownRevision { argument: String },
    #[error("Can't locate revision identified by '{argument}'; multiple revisions start with '{argument}': {}", quote_list(candidates))]
    AmbiguousRevision {
        argument: String,
        candidates: Vec<String>,
    },
    /// The command line reports an unknown branch with the unknown-revision
    /// wording; `detail()` gives the specific "No such branch" text.
    #[error("Can't locate revision identified by '{branch}'")]
    NoSuchBranch { branch: String },
    /// The command line reports this with the unknown-revision wording for the
    /// argument; `detail()` gives the specific "not a member" text.
    #[error("Can't locate revision identified by '{argument}'")]
    NotBranchMember {
        revision: String,
        branch: String,
        argument: String,
    },
    #[error("Multiple head revisions are present for given argument '{argument}'; please specify a specific target revision, '<branchname>@{argument}' to narrow to a specific head, or 'heads' for all heads")]
    MultipleHeads {
        argument: String,
        heads: Vec<String>,
    },
    #[error("Multiple heads are present; please specify a single target revision")]
    StampMultipleHeads { heads: Vec<String> },
    #[error("Destination {destination} is not a valid upgrade target from current head(s)")]
    InvalidUpgradeTarget { destination: String },
    #[error("Destination {destination} is not a valid downgrade target from current head(s)")]
    InvalidDowngradeTarget { destination: String },
    #[error("Requested range {start}:{end} does not refer to ancestor/descendant revisions along the same branch")]
    RangeNotAncestor { start: String, end: String },
    #[error("Relative revision {relative} didn't produce {count} migrations")]
    RelativeTooShort { relative: String, count: u64 },
    /// A relative target ran off one end of the graph. The message starts with the wording Alembic uses.
    #[error("Walked too far: '{target}' {}", end.past())]
    WalkedTooFar { target: String, end: GraphEnd },
    /// A downgrade target that counts up from a revision, past the head of its branch (`downgrade head+1`).
    #[error("Walked too far: '{target}' counts up, past the head of its branch; a relative downgrade target counts down, e.g. '{down}'")]
    DowngradeCountsUp { target: String, down: String },
    /// `downgrade -N` with several rows in the version table: which branch to walk down is a guess, so dbkit asks
    /// (Alembic warns with the same words and walks down from whichever row the database returns first).
    #[error("downgrade {relative} from multiple heads is ambiguous; name the head to walk down from: {}", heads.iter().map(|h| format!("'{h}@{relative}'")).collect::<Vec<_>>().join(" or "))]
    AmbiguousRelativeDowngrade {
        relative: String,
        heads: Vec<String>,
    },
    #[error("Ambiguous walk")]
    AmbiguousWalk,
    #[error("Ambiguous upgrade from multiple current revisions")]
    AmbiguousUpgrade,
    #[error("Not a valid downgrade target from current heads")]
    NoDowngradeRootOnBranch { branch: String },
    #[error("Requested revision {revision} overlaps with other requested revisions {}", others.join(", "))]
    OverlappingRevisions {
        revision: String,
        others: Vec<String>,
    },
    #[error("Range revision not allowed")]
    RangeNotAllowed { argument: String },
    #[error("History range requires [start]:[end], [start]:, or :[end]")]
    BadHistoryRange { range: String },
    #[error("Branch name '{label}' in revision {revision} already used by revision {existing}")]
    DuplicateBranchLabel {
        label: String,
        revision: String,
        existing: String,
    },
    #[error("revision '{id}' is declared more than once")]
    DuplicateRevision { id: String },
    #[error("revision '{revision}' revises '{parent}', which does not exist")]
    MissingParent { revision: String, parent: String },
    #[error("revision '{revision}' depends on '{dependency}', which does not exist")]
    MissingDependency {
        revision: String,
        dependency: String,
    },
    #[error("Character(s) '{}' not allowed in revision identifier '{revision}'", chars.join(", "))]
    IllegalCharacters {
        revision: String,
        chars: Vec<String>,
    },
    #[error("Cycle is detected in revisions ({})", revisions.join(", "))]
    Cycle { revisions: Vec<String> },
    #[error("Dependency cycle is detected in revisions ({})", revisions.join(", "))]
    DependencyCycle { revisions: Vec<String> },
    #[error("Self-loop is detected in revisions ({revision})")]
    SelfLoop { revision: String },
    #[error("Dependency self-loop is detected in revisions ({revision})")]
    DependencySelfLoop { revision: String },
}

/// The end of the graph a relative walk ran off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphEnd {
    Head,
    Base,
}

impl GraphEnd {
    fn past(self) -> &'static str {
        match self {
            GraphEnd::Head => "goes up past the head of its branch",
            GraphEnd::Base => "goes down past base",
        }
    }
}

/// A relative target that ran off the graph: a negative count ran past base, anything else past a head.
fn walked_too_far(target: &str) -> GraphError {
    let end = match parse_relative(target) {
        Some(rel) if rel.value < 0 => GraphEnd::Base,
        _ => GraphEnd::Head,
    };
    GraphError::WalkedTooFar {
        target: target.to_string(),
        end,
    }
}

fn quote_list(items: &[String]) -> String {
    let mut s = items
        .iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ");
    s.push_str("...");
    s
}

impl GraphError {
    /// The graph-level explanation, more specific than the command-line wording
    /// for resolution failures (useful for verbose output); equal to Display otherwise.
    pub fn detail(&self) -> String {
        match self {
            GraphError::UnknownRevision { argument } => format!(
                "No such revision or branch '{argument}'{}",
                if argument.chars().count() < 4 {
                    "; please ensure at least four characters are present for partial revision identifier matches"
                } else {
                    ""
                }
            ),
            GraphError::AmbiguousRevision {
                argument,
                candidates,
            } => format!(
                "Multiple revisions start with '{argument}': {}",
                quote_list(candidates)
            ),
            GraphError::NoSuchBranch { branch } => format!("No such branch: '{branch}'"),
            GraphError::NotBranchMember {
                revision, branch, ..
            } => format!("Revision {revision} is not a member of branch '{branch}'"),
            other => other.to_string(),
        }
    }
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

/// A point reached by a relative walk: before everything, the `base` marker, or a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    Nothing,
    Base,
    Rev(usize),
}

/// A resolved revision identifier awaiting lookup.
#[derive(Debug, Clone, Copy)]
enum Ident<'s> {
    Base,
    Node(usize),
    Text(&'s str),
}

/// A revision argument: either one expression, or the rows of the version table.
#[derive(Debug, Clone, Copy)]
enum Arg<'a> {
    Spec(&'a str),
    Rows(&'a [String]),
}

impl<'a> Arg<'a> {
    fn items(&self) -> Vec<&'a str> {
        match *self {
            Arg::Spec(s) => vec![s],
            Arg::Rows(r) => r.iter().map(String::as_str).collect(),
        }
    }

    /// How the argument appears inside messages: rows print as a tuple literal,
    /// matching the established tool's output for `history -r current:`.
    fn display(&self) -> String {
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

/// The `[label@][symbol](+|-)N` relative form, matched from the start of the text.
#[derive(Debug, Clone, Copy)]
struct Relative<'s> {
    label: Option<&'s str>,
    symbol: Option<&'s str>,
    text: &'s str,
    value: i64,
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

fn parse_relative(s: &str) -> Option<Relative<'_>> {
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

fn push_unique(v: &mut Vec<usize>, x: usize) {
    if !v.contains(&x) {
        v.push(x);
    }
}

fn union_sorted(into: &mut Vec<usize>, from: &[usize]) {
    for &x in from {
        if let Err(pos) = into.binary_search(&x) {
            into.insert(pos, x);
        }
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

/// The validated, indexed revision graph.
#[derive(Debug)]
pub struct RevisionMap {
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
    /// Validates and indexes: a duplicate id, a parent that does not exist, an unresolvable depends_on, a branch label
    /// used twice, and a cycle are all errors (dbkit is stricter than a warning here).
    pub fn new(revisions: Vec<Revision>) -> Result<RevisionMap> {
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

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains_key(id)
    }

    /// Facts needed to print a revision the way the reference tool does.
    pub fn info(&self, id: &str) -> Option<RevInfo<'_>> {
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
    pub fn heads(&self) -> Vec<&str> {
        self.names(&self.real_heads)
    }

    /// Whether version-table rows are exactly the real heads (what `current --check-heads` asks). With no
    /// revisions at all, an empty table is.
    pub fn at_heads(&self, rows: &[String]) -> bool {
        let rows: HashSet<&str> = rows.iter().map(String::as_str).collect();
        rows == self.heads().into_iter().collect()
    }

    /// Revisions that nothing revises, including depended-on ones ("effective heads");
    /// this is what the `heads` command lists unless asked to resolve dependencies.
    pub fn versioned_heads(&self) -> Vec<&str> {
        self.names(&self.heads)
    }

    pub fn bases(&self) -> Vec<&str> {
        self.names(&self.bases)
    }

    /// All revisions from heads down to bases, in the order `history` prints them (heads first).
    pub fn walk(&self) -> Vec<&str> {
        let all = vec![true; self.nodes.len()];
        let order = self.topo_sort(all, &self.real_heads);
        self.names(&order)
    }

    /// `history -r start:end` (either side optional; `current` allowed at either end and resolved from `current`).
    pub fn history_range(&self, range: &str, current: &[String]) -> Result<Vec<&str>> {
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

    /// Resolves any target expression to full ids: `head`, `heads`, `base`, full or partial ids (a unique prefix of an
    /// id or label longer than three characters; like existing tooling, a shorter prefix is accepted when unique),
    /// branch labels, `label@head`, `label@heads`, `label@base`, `label@rev`, `rev@head`, `current` (from `current`),
    /// and relative forms (`+N`, `-N`, `rev+N`, `rev-N`, `label@+N`, `label@head-N`, `base+N`, `heads-1`...).
    pub fn resolve(&self, spec: &str, current: &[String]) -> Result<Vec<&str>> {
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

    /// What `show` lists: as [`resolve`](Self::resolve), except that `-N` and `label@-N` count down from every
    /// head (that carries the label), as Alembic's `show` does, not from the database's revisions. A head that
    /// reaches base adds nothing; one that would go below it is an error.
    pub fn resolve_shown(&self, spec: &str, current: &[String]) -> Result<Vec<&str>> {
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
    pub fn current_revisions(&self, db_heads: &[String]) -> Result<Vec<&str>> {
        let all = self.all_current(Arg::Rows(db_heads))?;
        Ok(self.names(&all))
    }

    /// All revisions that are applied when the version table holds `db_heads` (ancestors, including dependencies),
    /// bases first.
    pub fn applied(&self, db_heads: &[String]) -> Result<Vec<&str>> {
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

    /// Steps in execution order from the version table's rows (`current`) to `target`; each step carries the
    /// version-table operations that the reference tool's HeadMaintainer would perform for it.
    pub fn plan_upgrade(&self, current: &[String], target: &str) -> Result<Vec<Step>> {
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
        let mut maint = Maintainer::new(self, current)?;
        Ok(order
            .into_iter()
            .map(|r| maint.revision_step(r, true))
            .collect())
    }

    pub fn plan_downgrade(&self, current: &[String], target: &str) -> Result<Vec<Step>> {
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
            .map(|r| maint.revision_step(r, false))
            .collect())
    }

    /// `stamp REV…` (several targets allowed); `purge` starts from an empty version table.
    pub fn plan_stamp(
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

    // ----- lookups -------------------------------------------------------------------------

    fn names(&self, v: &[usize]) -> Vec<&str> {
        v.iter().map(|&i| self.nodes[i].id.as_str()).collect()
    }

    fn exact(&self, key: &str) -> Option<usize> {
        self.ids
            .get(key)
            .copied()
            .or_else(|| self.label_index.get(key).map(|&k| self.label_owner[k]))
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

    fn resolve_branch(&self, label: &str) -> Result<usize> {
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

    fn revision_for_ident(
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
    fn lineage_filter(&self, check_against: &str, deps: bool) -> Result<Option<Vec<bool>>> {
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

    fn filter_for_lineage(
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
    fn get_revisions(&self, spec: &str) -> Result<Vec<Option<usize>>> {
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

    fn get_revisions_arg(&self, arg: Arg<'_>) -> Result<Vec<Option<usize>>> {
        let mut out = Vec::new();
        for s in arg.items() {
            out.extend(self.get_revisions(s)?);
        }
        Ok(out)
    }

    fn get_revision(&self, spec: &str) -> Result<Option<usize>> {
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

    fn get_revision_at(&self, spec: &str) -> Result<At> {
        Ok(match self.get_revision(spec)? {
            Some(r) => At::Rev(r),
            None => At::Nothing,
        })
    }

    // ----- relative walks ------------------------------------------------------------------

    fn walk_from(
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

    fn parse_upgrade_target(
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

    fn parse_downgrade_target(
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

    // ----- collecting revisions ------------------------------------------------------------

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

    fn all_current(&self, rows: Arg<'_>) -> Result<Vec<usize>> {
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

    /// Orders `todo` heads-first, walking one branch at a time and postponing a
    /// revision while another pending branch still leads down to it. This reproduces
    /// the order existing tooling prints and executes, without recomputing ancestor
    /// sets: "some pending head leads down here" is tracked as a count of
    /// unemitted children, and only then are the pending heads asked, in order,
    /// whether they lead down here (through searches bounded by position).
    fn topo_sort(&self, todo: Vec<bool>, heads: &[usize]) -> Vec<usize> {
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

fn opt_at(r: Option<usize>) -> At {
    match r {
        Some(r) => At::Rev(r),
        None => At::Nothing,
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

/// Keys (ids, then labels) of more than three characters starting with `prefix`,
/// with their revisions. A linear scan: it runs only when an exact lookup failed.
fn prefix_candidates<'k>(
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

// ----- version-table bookkeeping ---------------------------------------------------------------

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
struct Maintainer<'m> {
    map: &'m RevisionMap,
    heads: Vec<usize>,
    in_heads: Vec<bool>,
    oracles: FastMap<usize, AncOracle>,
}

impl<'m> Maintainer<'m> {
    fn new(map: &'m RevisionMap, rows: &[String]) -> Result<Self> {
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

    fn revision_step(&mut self, r: usize, upgrade: bool) -> Step {
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
        let (direction, from, to) = if upgrade {
            (Direction::Upgrade, parents, vec![node.id.clone()])
        } else {
            (Direction::Downgrade, vec![node.id.clone()], parents)
        };
        Step {
            direction,
            revision: Some(node.id.clone()),
            from,
            to,
            version_ops: ops,
        }
    }

    fn stamp_step(
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
            direction: Direction::Stamp,
            revision: to.map(|t| self.id(t)),
            from: from.iter().map(|&f| self.id(f)).collect(),
            to: to.iter().map(|&t| self.id(t)).collect(),
            version_ops: ops,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Spec<'a> = (&'a str, &'a [&'a str], &'a [&'a str], &'a [&'a str]);

    fn revs(spec: &[Spec<'_>]) -> Vec<Revision> {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        spec.iter()
            .map(|(id, down, deps, labels)| Revision {
                id: id.to_string(),
                down: v(down),
                depends_on: v(deps),
                branch_labels: v(labels),
            })
            .collect()
    }

    fn map(spec: &[Spec<'_>]) -> RevisionMap {
        RevisionMap::new(revs(spec)).expect("valid graph")
    }

    fn err(spec: &[Spec<'_>]) -> GraphError {
        RevisionMap::new(revs(spec)).expect_err("invalid graph")
    }

    fn rows(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn ins(s: &str) -> VersionOp {
        VersionOp::Insert(s.into())
    }
    fn del(s: &str) -> VersionOp {
        VersionOp::Delete(s.into())
    }
    fn upd(a: &str, b: &str) -> VersionOp {
        VersionOp::Update {
            from: a.into(),
            to: b.into(),
        }
    }

    fn order(steps: &[Step]) -> Vec<&str> {
        steps
            .iter()
            .map(|s| s.revision.as_deref().unwrap_or("<base>"))
            .collect()
    }

    fn ops(steps: &[Step]) -> Vec<VersionOp> {
        steps.iter().flat_map(|s| s.version_ops.clone()).collect()
    }

    /// Applies the planned operations to a set of rows, as a database would.
    fn apply(start: &[&str], steps: &[Step]) -> Vec<String> {
        let mut rows: Vec<String> = rows(start);
        for op in ops(steps) {
            match op {
                VersionOp::Insert(v) => {
                    assert!(!rows.contains(&v), "duplicate insert {v}");
                    rows.push(v)
                }
                VersionOp::Delete(v) => {
                    let before = rows.len();
                    rows.retain(|r| r != &v);
                    assert_eq!(before, rows.len() + 1, "delete of a missing row {v}");
                }
                VersionOp::Update { from, to } => {
                    let p = rows
                        .iter()
                        .position(|r| r == &from)
                        .expect("update of a missing row");
                    rows[p] = to;
                }
            }
        }
        rows.sort();
        rows
    }

    fn linear() -> RevisionMap {
        map(&[
            ("a1", &[], &[], &[]),
            ("b2", &["a1"], &[], &[]),
            ("c3", &["b2"], &[], &[]),
            ("d4", &["c3"], &[], &[]),
        ])
    }

    /// base -> bp, which branches into x1 -> x2 and y1 -> y2, merged by m.
    fn diamond() -> RevisionMap {
        map(&[
            ("base", &[], &[], &[]),
            ("bp", &["base"], &[], &[]),
            ("x1", &["bp"], &[], &[]),
            ("x2", &["x1"], &[], &[]),
            ("y1", &["bp"], &[], &[]),
            ("y2", &["y1"], &[], &[]),
            ("m", &["x2", "y2"], &[], &[]),
        ])
    }

    /// Two branches from bp, not merged; the y branch carries the label "feature".
    fn branched() -> RevisionMap {
        map(&[
            ("base", &[], &[], &[]),
            ("bp", &["base"], &[], &[]),
            ("x1", &["bp"], &[], &[]),
            ("x2", &["x1"], &[], &[]),
            ("y1", &["bp"], &[], &["feature"]),
            ("y2", &["y1"], &[], &[]),
        ])
    }

    /// Two independent roots; c2 on the "core" line depends on the "plugin" line.
    fn with_dependency() -> RevisionMap {
        map(&[
            ("c1", &[], &[], &["core"]),
            ("p1", &[], &[], &["plugin"]),
            ("c2", &["c1"], &["plugin"], &[]),
            ("c3", &["c2"], &[], &[]),
        ])
    }

    #[test]
    fn a_linear_chain_has_one_head_one_base_and_walks_from_the_top() {
        let m = linear();
        assert_eq!(m.len(), 4);
        assert!(m.contains("c3") && !m.contains("c"));
        assert_eq!(m.heads(), ["d4"]);
        assert_eq!(m.bases(), ["a1"]);
        assert_eq!(m.walk(), ["d4", "c3", "b2", "a1"]);
        let info = m.info("b2").unwrap();
        assert_eq!(info.down, ["a1"]);
        assert_eq!(info.children, ["c3"]);
        assert!(!info.is_head && !info.is_branch_point && !info.is_merge_point);
        assert!(m.info("d4").unwrap().is_head);
    }

    #[test]
    fn branches_walk_one_branch_before_the_branch_point_and_merge_points_are_flagged() {
        let m = diamond();
        assert_eq!(m.heads(), ["m"]);
        assert_eq!(m.walk(), ["m", "x2", "x1", "y2", "y1", "bp", "base"]);
        assert!(m.info("bp").unwrap().is_branch_point);
        assert!(m.info("m").unwrap().is_merge_point);
        assert_eq!(m.info("bp").unwrap().children, ["x1", "y1"]);

        let b = branched();
        assert_eq!(b.heads(), ["x2", "y2"]);
        assert_eq!(b.walk(), ["x2", "x1", "y2", "y1", "bp", "base"]);
    }

    #[test]
    fn a_branch_label_propagates_up_the_branch_but_not_past_the_branch_point() {
        let b = branched();
        for id in ["y1", "y2"] {
            assert_eq!(b.info(id).unwrap().branch_labels, ["feature"], "{id}");
        }
        for id in ["base", "bp", "x1", "x2"] {
            assert!(b.info(id).unwrap().branch_labels.is_empty(), "{id}");
        }
        // On a linear root the label reaches down to the base as well.
        let l = map(&[
            ("a1", &[], &[], &[]),
            ("b2", &["a1"], &[], &["main"]),
            ("c3", &["b2"], &[], &[]),
        ]);
        for id in ["a1", "b2", "c3"] {
            assert_eq!(l.info(id).unwrap().branch_labels, ["main"], "{id}");
        }
    }

    #[test]
    fn a_dependency_across_branches_makes_an_effective_head() {
        let m = with_dependency();
        assert_eq!(m.heads(), ["c3"]);
        assert_eq!(m.versioned_heads(), ["p1", "c3"]);
        let p1 = m.info("p1").unwrap();
        assert!(p1.is_effective_head && !p1.is_head);
        assert_eq!(m.info("c2").unwrap().dependencies, ["p1"]);
        assert_eq!(m.info("c2").unwrap().depends_on, ["plugin".to_string()]);
        assert_eq!(m.walk(), ["c3", "c2", "c1", "p1"]);
        assert_eq!(m.applied(&rows(&["c2"])).unwrap().len(), 3);
        assert_eq!(m.current_revisions(&rows(&["c2"])).unwrap(), ["p1", "c2"]);
    }

    #[test]
    fn structural_problems_are_errors_with_the_expected_wording() {
        assert_eq!(
            err(&[("a", &[], &[], &[]), ("a", &[], &[], &[])]).to_string(),
            "revision 'a' is declared more than once"
        );
        assert_eq!(
            err(&[("b", &["a"], &[], &[])]).to_string(),
            "revision 'b' revises 'a', which does not exist"
        );
        assert_eq!(
            err(&[("a", &[], &[], &[]), ("b", &["a"], &["x"], &[])]).to_string(),
            "revision 'b' depends on 'x', which does not exist"
        );
        assert_eq!(
            err(&[("a", &[], &[], &["l"]), ("b", &["a"], &[], &["l"])]).to_string(),
            "Branch name 'l' in revision b already used by revision a"
        );
        assert_eq!(
            err(&[
                ("r", &[], &[], &[]),
                ("a", &["c", "r"], &[], &[]),
                ("b", &["a"], &[], &[]),
                ("c", &["b"], &[], &[])
            ])
            .to_string(),
            "Cycle is detected in revisions (r, a, b, c)"
        );
        assert_eq!(
            err(&[("a", &[], &["b"], &[]), ("b", &[], &["a"], &[])]).to_string(),
            "Dependency cycle is detected in revisions (a, b)"
        );
        assert_eq!(
            err(&[("a", &["a"], &[], &[])]).to_string(),
            "Self-loop is detected in revisions (a)"
        );
        assert_eq!(
            err(&[("a-b", &[], &[], &[])]).to_string(),
            "Character(s) '-' not allowed in revision identifier 'a-b'"
        );
    }

    #[test]
    fn a_cycle_hidden_behind_a_merge_is_still_detected() {
        let e = err(&[
            ("x", &[], &[], &[]),
            ("b", &["c", "x"], &[], &[]),
            ("c", &["b"], &[], &[]),
            ("d", &["c"], &[], &[]),
        ]);
        assert_eq!(e.to_string(), "Cycle is detected in revisions (b, c)");
    }

    #[test]
    fn symbolic_and_literal_targets_resolve_to_full_ids() {
        let m = map(&[
            ("ae1027a6acf", &[], &[], &[]),
            ("27c6a30d7c24", &["ae1027a6acf"], &[], &[]),
            ("1975ea83b712", &["27c6a30d7c24"], &[], &[]),
            ("1975eb00aaaa", &["27c6a30d7c24"], &[], &["feature"]),
        ]);
        let none: Vec<String> = vec![];
        let r = |s: &str| m.resolve(s, &none);
        assert_eq!(r("heads").unwrap(), ["1975ea83b712", "1975eb00aaaa"]);
        assert_eq!(r("base").unwrap(), Vec::<&str>::new());
        assert_eq!(r("ae1027a6acf").unwrap(), ["ae1027a6acf"]);
        assert_eq!(r("ae10").unwrap(), ["ae1027a6acf"]);
        assert_eq!(r("feature").unwrap(), ["1975eb00aaaa"]);
        assert_eq!(r("feature@head").unwrap(), ["1975eb00aaaa"]);
        assert_eq!(r("feature@heads").unwrap(), ["1975eb00aaaa"]);
        assert_eq!(r("feature@base").unwrap(), Vec::<&str>::new());
        assert_eq!(r("feature@27c6").unwrap(), ["27c6a30d7c24"]);
        assert_eq!(r("1975ea83b712@head").unwrap(), ["1975ea83b712"]);
        assert_eq!(r("base+1").unwrap(), ["ae1027a6acf"]);
        assert_eq!(r("ae10+1").unwrap(), ["27c6a30d7c24"]);
        assert_eq!(r("1975ea83b712-2").unwrap(), ["ae1027a6acf"]);
        assert_eq!(r("feature@head-1").unwrap(), ["27c6a30d7c24"]);
        assert_eq!(r("feature@+3").unwrap(), ["1975eb00aaaa"]);
        assert_eq!(r("ae10@+2").unwrap(), ["27c6a30d7c24"]);
        assert_eq!(r("ae10@+3").unwrap_err(), GraphError::AmbiguousWalk);
        assert_eq!(
            r("heads-1").unwrap_err(),
            GraphError::MultipleHeads {
                argument: "heads".into(),
                heads: vec!["1975ea83b712".into(), "1975eb00aaaa".into()],
            }
        );

        let cur = rows(&["27c6a30d7c24"]);
        assert_eq!(m.resolve("current", &cur).unwrap(), ["27c6a30d7c24"]);
        assert_eq!(m.resolve("-1", &cur).unwrap(), ["ae1027a6acf"]);
        assert_eq!(m.resolve("feature@+1", &cur).unwrap(), ["1975eb00aaaa"]);
        assert_eq!(
            m.resolve("+1", &cur).unwrap_err(),
            GraphError::AmbiguousWalk
        );

        assert_eq!(
            r("head").unwrap_err().to_string(),
            "Multiple head revisions are present for given argument 'head'; please specify a specific target \
             revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all heads"
        );
        assert_eq!(
            r("1975").unwrap_err().to_string(),
            "Can't locate revision identified by '1975'; multiple revisions start with '1975': \
             '1975ea83b712', '1975eb00aaaa'..."
        );
        assert_eq!(
            r("zz").unwrap_err().to_string(),
            "Can't locate revision identified by 'zz'"
        );
        assert!(r("zz")
            .unwrap_err()
            .detail()
            .contains("at least four characters"));
        assert_eq!(
            r("nosuch@head").unwrap_err().to_string(),
            "Can't locate revision identified by 'nosuch'"
        );
        assert_eq!(
            r("nosuch@ae10").unwrap_err(),
            GraphError::NoSuchBranch {
                branch: "nosuch".into()
            }
        );
        assert_eq!(
            r("nosuch@ae10").unwrap_err().detail(),
            "No such branch: 'nosuch'"
        );
        let not_member = r("feature@1975ea83b712").unwrap_err();
        assert_eq!(
            not_member.to_string(),
            "Can't locate revision identified by '1975ea83b712'"
        );
        assert_eq!(
            not_member.detail(),
            "Revision 1975ea83b712 is not a member of branch 'feature'"
        );
    }

    #[test]
    fn a_short_prefix_resolves_only_when_it_is_unique_like_existing_tooling() {
        let m = linear();
        assert_eq!(m.resolve("c3", &[]).unwrap(), ["c3"]);
        let m = map(&[("abcdef", &[], &[], &[]), ("abcxyz", &["abcdef"], &[], &[])]);
        assert_eq!(m.resolve("abcd", &[]).unwrap(), ["abcdef"]);
        assert!(matches!(
            m.resolve("abc", &[]),
            Err(GraphError::AmbiguousRevision { .. })
        ));
        assert_eq!(m.resolve("abcx", &[]).unwrap(), ["abcxyz"]);
    }

    #[test]
    fn upgrading_a_linear_chain_updates_one_row_per_step() {
        let m = linear();
        let steps = m.plan_upgrade(&[], "head").unwrap();
        assert_eq!(order(&steps), ["a1", "b2", "c3", "d4"]);
        assert_eq!(
            ops(&steps),
            [ins("a1"), upd("a1", "b2"), upd("b2", "c3"), upd("c3", "d4")]
        );
        assert_eq!(steps[1].from, ["a1"]);
        assert_eq!(steps[1].to, ["b2"]);
        assert_eq!(steps[1].direction, Direction::Upgrade);

        let down = m.plan_downgrade(&rows(&["d4"]), "a1").unwrap();
        assert_eq!(order(&down), ["d4", "c3", "b2"]);
        assert_eq!(
            ops(&down),
            [upd("d4", "c3"), upd("c3", "b2"), upd("b2", "a1")]
        );
        let to_base = m.plan_downgrade(&rows(&["b2"]), "base").unwrap();
        assert_eq!(ops(&to_base), [upd("b2", "a1"), del("a1")]);
    }

    #[test]
    fn relative_targets_count_steps_and_report_overruns() {
        let m = linear();
        let at = |r: &[&str], t: &str| m.plan_upgrade(&rows(r), t);
        assert_eq!(order(&at(&["a1"], "+2").unwrap()), ["b2", "c3"]);
        assert_eq!(
            order(&m.plan_downgrade(&rows(&["c3"]), "-1").unwrap()),
            ["c3"]
        );
        assert_eq!(
            at(&["c3"], "+2").unwrap_err().to_string(),
            "Relative revision +2 didn't produce 2 migrations"
        );
        assert_eq!(
            m.plan_downgrade(&rows(&["b2"]), "-3")
                .unwrap_err()
                .to_string(),
            "Relative revision -3 didn't produce 3 migrations"
        );
        assert_eq!(
            m.plan_downgrade(&rows(&["d4"]), "b2-5")
                .unwrap_err()
                .to_string(),
            "Walked too far: 'b2-5' goes down past base"
        );
        assert_eq!(
            m.plan_downgrade(&rows(&["d4"]), "+1")
                .unwrap_err()
                .to_string(),
            "Relative revision +1 didn't produce 1 migrations"
        );
        assert_eq!(
            m.plan_downgrade(&rows(&["b2"]), "d4")
                .unwrap_err()
                .to_string(),
            "Destination d4 is not a valid downgrade target from current head(s)"
        );
    }

    #[test]
    fn a_walk_off_the_graph_says_which_end_and_a_downgrade_that_counts_up_says_to_count_down() {
        let m = linear();
        let d4 = rows(&["d4"]);
        assert_eq!(
            m.plan_downgrade(&d4, "head+1").unwrap_err(),
            GraphError::DowngradeCountsUp {
                target: "head+1".into(),
                down: "head-1".into(),
            }
        );
        assert_eq!(
            m.plan_downgrade(&d4, "c3@head+2").unwrap_err(),
            GraphError::DowngradeCountsUp {
                target: "c3@head+2".into(),
                down: "c3@head-2".into(),
            }
        );
        // Up to the head is no walk too far: nothing to do.
        assert!(m.plan_downgrade(&d4, "c3+1").unwrap().is_empty());
        assert_eq!(
            m.plan_upgrade(&rows(&["a1"]), "d4+1").unwrap_err(),
            GraphError::WalkedTooFar {
                target: "d4+1".into(),
                end: GraphEnd::Head,
            }
        );
        assert_eq!(
            m.resolve("a1-2", &[]).unwrap_err(),
            GraphError::WalkedTooFar {
                target: "a1-2".into(),
                end: GraphEnd::Base,
            }
        );
        // Nothing lies below base, whichever way the command goes and whatever the label.
        for target in ["base-1", "base-2", "c3@base-1"] {
            let past_base = GraphError::WalkedTooFar {
                target: target.into(),
                end: GraphEnd::Base,
            };
            assert_eq!(m.plan_downgrade(&d4, target).unwrap_err(), past_base);
            assert_eq!(
                m.plan_upgrade(&rows(&["a1"]), target).unwrap_err(),
                past_base
            );
        }
        // Counting up from base is fine.
        assert_eq!(
            order(&m.plan_upgrade(&rows(&[]), "base+2").unwrap()),
            ["a1", "b2"]
        );
    }

    #[test]
    fn show_counts_down_from_every_head_like_alembic() {
        let m = branched();
        let none: Vec<String> = vec![];
        assert_eq!(m.resolve_shown("-1", &none).unwrap(), ["x1", "y1"]);
        assert_eq!(m.resolve_shown("feature@-1", &none).unwrap(), ["y1"]);
        assert_eq!(m.resolve_shown("-3", &none).unwrap(), ["base", "base"]);
        assert_eq!(m.resolve_shown("-4", &none).unwrap(), Vec::<&str>::new());
        assert_eq!(
            m.resolve_shown("-5", &none).unwrap_err(),
            GraphError::WalkedTooFar {
                target: "-5".into(),
                end: GraphEnd::Base,
            }
        );
        // Everything else resolves as anywhere else.
        assert_eq!(m.resolve_shown("x2-1", &none).unwrap(), ["x1"]);
        assert_eq!(m.resolve_shown("current", &rows(&["y2"])).unwrap(), ["y2"]);
    }

    #[test]
    fn a_relative_downgrade_from_several_heads_names_the_heads_instead_of_guessing() {
        let m = branched();
        let e = m.plan_downgrade(&rows(&["y2", "x2"]), "-1").unwrap_err();
        assert_eq!(
            e,
            GraphError::AmbiguousRelativeDowngrade {
                relative: "-1".into(),
                heads: vec!["x2".into(), "y2".into()],
            }
        );
        assert!(e
            .to_string()
            .starts_with("downgrade -1 from multiple heads is ambiguous"));
        // Naming the head walks down that branch only; duplicate rows are one head.
        let steps = m.plan_downgrade(&rows(&["y2", "x2"]), "y2@-1").unwrap();
        assert_eq!(order(&steps), ["y2"]);
        let steps = m.plan_downgrade(&rows(&["x2", "x2"]), "-1").unwrap();
        assert_eq!(order(&steps), ["x2"]);
    }

    #[test]
    fn upgrading_onto_a_new_branch_inserts_a_row() {
        let m = branched();
        let steps = m.plan_upgrade(&rows(&["x2"]), "y2").unwrap();
        assert_eq!(order(&steps), ["y1", "y2"]);
        assert_eq!(ops(&steps), [ins("y1"), upd("y1", "y2")]);

        let roots = map(&[("a", &[], &[], &[]), ("b", &[], &[], &[])]);
        let steps = roots.plan_upgrade(&rows(&["a"]), "heads").unwrap();
        assert_eq!(ops(&steps), [ins("b")]);
    }

    #[test]
    fn upgrading_heads_versus_head_when_several_heads_exist() {
        let m = branched();
        let steps = m.plan_upgrade(&[], "heads").unwrap();
        assert_eq!(order(&steps), ["base", "bp", "y1", "y2", "x1", "x2"]);
        assert_eq!(apply(&[], &steps), ["x2", "y2"]);
        assert_eq!(
            ops(&steps),
            [
                ins("base"),
                upd("base", "bp"),
                upd("bp", "y1"),
                upd("y1", "y2"),
                ins("x1"),
                upd("x1", "x2")
            ]
        );
        let e = m.plan_upgrade(&[], "head").unwrap_err();
        assert!(matches!(e, GraphError::MultipleHeads { ref argument, .. } if argument == "head"));
        assert!(e
            .to_string()
            .starts_with("Multiple head revisions are present for given argument 'head'"));
        let steps = m.plan_upgrade(&rows(&["bp"]), "feature@head").unwrap();
        assert_eq!(order(&steps), ["y1", "y2"]);
    }

    #[test]
    fn merging_deletes_one_parent_row_and_updates_the_other() {
        let m = diamond();
        let steps = m.plan_upgrade(&rows(&["x2", "y2"]), "head").unwrap();
        assert_eq!(order(&steps), ["m"]);
        assert_eq!(ops(&steps), [del("x2"), upd("y2", "m")]);
        assert_eq!(steps[0].from, ["x2", "y2"]);

        let full = m.plan_upgrade(&[], "head").unwrap();
        assert_eq!(order(&full), ["base", "bp", "y1", "y2", "x1", "x2", "m"]);
        assert_eq!(apply(&[], &full), ["m"]);
    }

    #[test]
    fn downgrading_through_a_merge_unmerges_with_an_insert_and_an_update() {
        let m = diamond();
        let steps = m.plan_downgrade(&rows(&["m"]), "bp").unwrap();
        assert_eq!(order(&steps), ["m", "x2", "x1", "y2", "y1"]);
        assert_eq!(
            ops(&steps),
            [
                ins("x2"),
                upd("m", "y2"),
                upd("x2", "x1"),
                del("x1"),
                upd("y2", "y1"),
                upd("y1", "bp")
            ]
        );
        assert_eq!(steps[0].to, ["x2", "y2"]);
        assert_eq!(apply(&["m"], &steps), ["bp"]);
    }

    #[test]
    fn downgrading_one_branch_to_its_base_deletes_its_row() {
        let m = map(&[
            ("a1", &[], &[], &["left"]),
            ("a2", &["a1"], &[], &[]),
            ("b1", &[], &[], &["right"]),
            ("b2", &["b1"], &[], &[]),
        ]);
        let steps = m.plan_downgrade(&rows(&["a2", "b2"]), "left@base").unwrap();
        assert_eq!(order(&steps), ["a2", "a1"]);
        assert_eq!(ops(&steps), [upd("a2", "a1"), del("a1")]);
        let steps = m.plan_downgrade(&rows(&["a2", "b2"]), "base").unwrap();
        assert_eq!(apply(&["a2", "b2"], &steps), Vec::<String>::new());
    }

    #[test]
    fn a_depended_on_revision_is_not_kept_as_a_row_after_its_dependent_runs() {
        let m = with_dependency();
        let steps = m.plan_upgrade(&[], "heads").unwrap();
        assert_eq!(order(&steps), ["p1", "c1", "c2", "c3"]);
        assert_eq!(
            ops(&steps),
            [
                ins("p1"),
                ins("c1"),
                del("c1"),
                upd("p1", "c2"),
                upd("c2", "c3")
            ]
        );
        assert_eq!(apply(&[], &steps), ["c3"]);
        // Upgrading one line pulls in the dependency.
        let steps = m.plan_upgrade(&rows(&["c1"]), "c2").unwrap();
        assert_eq!(ops(&steps), [ins("p1"), del("c1"), upd("p1", "c2")]);
        // Downgrading the dependent restores both rows.
        let down = m.plan_downgrade(&rows(&["c3"]), "c1").unwrap();
        assert_eq!(order(&down), ["c3", "c2"]);
        assert_eq!(apply(&["c3"], &down), ["c1", "p1"]);
        // `head` is ambiguous because the depended-on revision is a versioned head.
        assert!(matches!(
            m.plan_upgrade(&[], "head"),
            Err(GraphError::MultipleHeads { .. })
        ));
    }

    #[test]
    fn stamping_moves_rows_without_running_anything() {
        let m = branched();
        let s = m.plan_stamp(&[], &rows(&["x2"]), false).unwrap();
        assert_eq!(ops(&s), [ins("x2")]);
        assert_eq!(s[0].direction, Direction::Stamp);
        assert_eq!(s[0].revision.as_deref(), Some("x2"));

        let s = m.plan_stamp(&rows(&["x1"]), &rows(&["x2"]), false).unwrap();
        assert_eq!(ops(&s), [upd("x1", "x2")]);
        let s = m.plan_stamp(&rows(&["x2"]), &rows(&["bp"]), false).unwrap();
        assert_eq!(ops(&s), [upd("x2", "bp")]);
        let s = m.plan_stamp(&rows(&["x2"]), &rows(&["y2"]), false).unwrap();
        assert_eq!(ops(&s), [ins("y2")]);
        let s = m
            .plan_stamp(&rows(&["x2", "y2"]), &rows(&["base"]), false)
            .unwrap();
        assert_eq!(ops(&s), [del("x2"), del("y2")]);
        assert_eq!(s[0].revision, None);
        let s = m.plan_stamp(&rows(&["x2"]), &rows(&["x2"]), false).unwrap();
        assert!(s.is_empty());
        let s = m.plan_stamp(&[], &rows(&["x2", "y2"]), false).unwrap();
        assert_eq!(ops(&s), [ins("x2"), ins("y2")]);
        assert_eq!(
            m.plan_stamp(&[], &rows(&["head"]), false)
                .unwrap_err()
                .to_string(),
            "Multiple heads are present; please specify a single target revision"
        );
        let d = diamond();
        let s = d
            .plan_stamp(&rows(&["x2", "y2"]), &rows(&["m"]), false)
            .unwrap();
        assert_eq!(ops(&s), [del("x2"), upd("y2", "m")]);
    }

    #[test]
    fn stamping_with_purge_starts_from_an_empty_table() {
        let m = branched();
        let s = m
            .plan_stamp(&rows(&["x2", "y1"]), &rows(&["y2"]), true)
            .unwrap();
        assert_eq!(ops(&s), [ins("y2")]);
        let s = m
            .plan_stamp(&rows(&["x2"]), &rows(&["base"]), true)
            .unwrap();
        assert!(s.is_empty());
    }

    #[test]
    fn history_ranges_accept_current_at_either_end() {
        let m = linear();
        let cur = rows(&["b2"]);
        assert_eq!(
            m.history_range("current:", &cur).unwrap(),
            ["d4", "c3", "b2"]
        );
        assert_eq!(m.history_range(":current", &cur).unwrap(), ["b2", "a1"]);
        assert_eq!(m.history_range("b2:c3", &[]).unwrap(), ["c3", "b2"]);
        assert_eq!(m.history_range(":", &[]).unwrap(), m.walk());
        assert_eq!(m.history_range("current:", &[]).unwrap(), m.walk());
        assert_eq!(
            m.history_range("b2", &[]).unwrap_err().to_string(),
            "History range requires [start]:[end], [start]:, or :[end]"
        );
        let b = branched();
        assert_eq!(
            b.history_range("x1:y2", &[]).unwrap_err().to_string(),
            "Requested range x1:y2 does not refer to ancestor/descendant revisions along the same branch"
        );
        assert_eq!(
            b.history_range("current:y2", &rows(&["x1"])).unwrap_err().to_string(),
            "Requested range ('x1',):y2 does not refer to ancestor/descendant revisions along the same branch"
        );
        assert_eq!(
            b.history_range("feature@base:", &[]).unwrap(),
            ["y2", "y1", "bp", "base"]
        );
    }

    #[test]
    fn iteration_orders_match_the_reference_suite() {
        // Dependencies across three roots (reference: partial traversal with implicit base).
        let m = map(&[
            ("a1", &[], &[], &[]),
            ("a2", &["a1"], &[], &[]),
            ("a3", &["a2"], &[], &[]),
            ("b1", &[], &[], &[]),
            ("b2", &["b1"], &["a3"], &[]),
            ("b3", &["b2"], &[], &[]),
            ("b4", &["b3"], &["a3"], &[]),
            ("b5", &["b4"], &[], &[]),
        ]);
        let d = m.plan_downgrade(&rows(&["b5"]), "a2").unwrap();
        assert_eq!(order(&d), ["b5", "b4", "b3", "b2", "a3"]);
        assert_eq!(m.walk(), ["b5", "b4", "b3", "b2", "b1", "a3", "a2", "a1"]);
        assert_eq!(apply(&["b5"], &d), ["a2", "b1"]);
    }

    #[test]
    fn walks_over_several_bases_match_the_reference_suite() {
        let m = map(&[
            ("base1", &[], &[], &[]),
            ("base2", &[], &[], &[]),
            ("base3", &[], &[], &[]),
            ("a1a", &["base1"], &[], &[]),
            ("a1b", &["base1"], &[], &[]),
            ("a2", &["base2"], &[], &[]),
            ("a3", &["base3"], &[], &[]),
            ("b1a", &["a1a"], &[], &[]),
            ("b1b", &["a1b"], &[], &[]),
            ("b2", &["a2"], &[], &[]),
            ("b3", &["a3"], &[], &[]),
            ("c2", &["b2"], &[], &[]),
            ("d2", &["c2"], &[], &[]),
            ("mergeb3d2", &["b3", "d2"], &[], &[]),
        ]);
        assert_eq!(
            m.walk(),
            [
                "b1a",
                "a1a",
                "b1b",
                "a1b",
                "base1",
                "mergeb3d2",
                "b3",
                "a3",
                "base3",
                "d2",
                "c2",
                "b2",
                "a2",
                "base2"
            ]
        );

        let x = map(&[
            ("base1", &[], &[], &["b_1"]),
            ("a1a", &["base1"], &[], &[]),
            ("a1b", &["base1"], &[], &[]),
            ("b1a", &["a1a"], &[], &[]),
            ("b1b", &["a1b"], &["a3"], &[]),
            ("base2", &[], &[], &["b_2"]),
            ("a2", &["base2"], &[], &[]),
            ("b2", &["a2"], &[], &[]),
            ("c2", &["b2"], &["a3"], &[]),
            ("d2", &["c2"], &[], &[]),
            ("base3", &[], &[], &["b_3"]),
            ("a3", &["base3"], &[], &[]),
            ("b3", &["a3"], &[], &[]),
        ]);
        assert_eq!(x.versioned_heads(), ["b1a", "b1b", "d2", "b3"]);
        assert_eq!(
            x.walk(),
            [
                "b1a", "a1a", "b1b", "a1b", "base1", "d2", "c2", "b2", "a2", "base2", "b3", "a3",
                "base3"
            ]
        );
        assert_eq!(
            x.history_range("base:b_2@head", &[]).unwrap(),
            ["d2", "c2", "b2", "a2", "base2", "a3", "base3"]
        );
        assert_eq!(
            x.history_range("base:b_3@head", &[]).unwrap(),
            ["b3", "a3", "base3"]
        );
        let down = x
            .plan_downgrade(&rows(&["b1a", "b1b", "d2", "b3"]), "b_2@base")
            .unwrap();
        assert_eq!(order(&down), ["d2", "c2", "b2", "a2", "base2"]);
    }

    fn big_revisions(n: usize) -> Vec<Revision> {
        let mut out = Vec::with_capacity(n + 5 * (n / 100));
        for i in 0..n {
            out.push(Revision {
                id: format!("r{i:06}"),
                down: if i == 0 {
                    vec![]
                } else {
                    vec![format!("r{:06}", i - 1)]
                },
                ..Default::default()
            });
        }
        out
    }

    /// Builds the map and runs the interactive operations, returning their time.
    /// Builds the map and plans every revision. A quadratic step anywhere would keep these tests from finishing;
    /// how fast they are is the benchmark's business, not a test's.
    fn build(revs: Vec<Revision>) -> (RevisionMap, Vec<Step>) {
        let m = RevisionMap::new(revs).unwrap();
        assert!(!m.heads().is_empty());
        assert_eq!(m.walk().len(), m.len());
        let plan = m.plan_upgrade(&[], "heads").unwrap();
        assert_eq!(plan.len(), m.len());
        (m, plan)
    }

    #[test]
    fn a_hundred_thousand_revisions_stay_interactive() {
        let (m, plan) = build(big_revisions(100_000));
        assert_eq!(m.heads(), ["r099999"]);
        assert_eq!(plan[99_999].version_ops, [upd("r099998", "r099999")]);
        assert!(matches!(
            m.resolve("r0000+5", &[]),
            Err(GraphError::AmbiguousRevision { .. })
        ));
        assert_eq!(m.resolve("r000000+5", &[]).unwrap(), ["r000005"]);
        assert_eq!(m.history_range("r099990:", &[]).unwrap().len(), 10);
        let down = m.plan_downgrade(&rows(&["r099999"]), "base").unwrap();
        assert_eq!(down.len(), 100_000);

        // Branches and merges: diamonds in sequence, side branches that stay open,
        // a labelled trunk and dependencies on the side branches.
        let mut revs = Vec::new();
        let mut tip = "g0".to_string();
        revs.push(Revision {
            id: tip.clone(),
            branch_labels: vec!["trunk".into()],
            ..Default::default()
        });
        let mut k = 0;
        while revs.len() < 100_000 {
            let (a, b, mg) = (format!("g{k}a"), format!("g{k}b"), format!("g{k}m"));
            revs.push(Revision {
                id: a.clone(),
                down: vec![tip.clone()],
                ..Default::default()
            });
            revs.push(Revision {
                id: b.clone(),
                down: vec![tip.clone()],
                ..Default::default()
            });
            let deps = if k % 10 == 0 && k > 0 {
                vec![format!("s{}", k - 10)]
            } else {
                vec![]
            };
            revs.push(Revision {
                id: mg.clone(),
                down: vec![a, b],
                depends_on: deps,
                ..Default::default()
            });
            if k % 10 == 0 {
                revs.push(Revision {
                    id: format!("s{k}"),
                    down: vec![mg.clone()],
                    ..Default::default()
                });
            }
            tip = mg;
            k += 1;
        }
        let (g, plan) = build(revs);
        let heads = g.heads();
        assert!(heads.len() > 1);
        let rows_after: Vec<String> = apply(&[], &plan);
        let mut expected: Vec<String> = heads.iter().map(|s| s.to_string()).collect();
        expected.sort();
        assert_eq!(rows_after, expected);
        let down = g.plan_downgrade(&rows_after, "g0").unwrap();
        assert_eq!(down.len(), g.len() - 1);
        let start: Vec<&str> = rows_after.iter().map(String::as_str).collect();
        assert_eq!(apply(&start, &down), ["g0"]);
    }
}
