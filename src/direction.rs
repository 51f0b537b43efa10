//! Which way a revision moves the database. Revision files, plans, the history table and every message name
//! the same two directions, each with its own word: a file's sections say `up` and `down`, while messages,
//! log lines and history rows say `upgrade` and `downgrade`. One type keeps the two spellings from drifting.

/// Up applies a revision; down reverts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Up,
    Down,
}

impl Direction {
    /// The word of a revision file's section marker: `-- migrate:up`, `-- migrate:down`.
    pub fn marker(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }

    /// The word of messages, log lines and history rows: `upgrade`, `downgrade`.
    pub fn verb(self) -> &'static str {
        match self {
            Direction::Up => "upgrade",
            Direction::Down => "downgrade",
        }
    }
}
