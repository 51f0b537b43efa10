//! What can go wrong in the graph: a malformed set of revisions, or a target that names nothing, too much or
//! the wrong thing. Kept apart so the wordings, which scripts and users grep for, are in one place.

use thiserror::Error;

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
    #[cfg(test)]
    pub(crate) fn detail(&self) -> String {
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
