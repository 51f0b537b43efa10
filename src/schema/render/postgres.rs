//! Changes written as PostgreSQL SQL.

use super::{Options, Renames, Step};
use crate::schema::diff::Change;
use crate::schema::Schema;

/// The steps that carry out `changes` (a diff from `current` to `desired`), in the changes' order.
pub fn render(
    current: &Schema,
    desired: &Schema,
    changes: &[Change],
    renames: &Renames,
    options: Options,
) -> Vec<Step> {
    let _ = (current, desired, changes, renames, options);
    Vec::new()
}
