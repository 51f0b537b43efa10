//! The applied-history table beside the version table: one row per step, successful or not, with the checksum
//! of the file that ran. It is dbkit's own addition and never required: a database without it works, and
//! gets it on the first write.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::dialect::{qualified, quote_literal, Connection, Dialect};
use crate::direction::Direction;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::graph::RevInfo;
use crate::script::SQL_CHECKSUM_PREFIX;
use crate::scripts::Scripts;

#[derive(Debug, Clone)]
pub(crate) struct HistoryTable {
    pub(crate) schema: Option<String>,
    pub(crate) name: String,
}

/// What happened in one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// A revision's SQL ran.
    Migrate(Direction),
    /// The version table moved without running SQL.
    Stamp,
    /// A reviewed change to an applied file was accepted (`validate --accept`).
    Accept,
}

impl Action {
    /// The word stored in the history table's `action` column.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Action::Migrate(direction) => direction.verb(),
            Action::Stamp => "stamp",
            Action::Accept => "accept",
        }
    }

    /// The action a stored word names; None for a word this version does not write.
    fn from_stored(word: &str) -> Option<Action> {
        [
            Action::Migrate(Direction::Up),
            Action::Migrate(Direction::Down),
            Action::Stamp,
            Action::Accept,
        ]
        .into_iter()
        .find(|a| a.as_str() == word)
    }
}

/// Where a revision sits in the graph: its parents (`Revises:`) and its dependencies, as full ids. An applied
/// revision that now names other ones ran on top of something else than its file says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Identity {
    pub(crate) down: Vec<String>,
    pub(crate) depends_on: Vec<String>,
}

impl Identity {
    pub(crate) fn of(info: &RevInfo<'_>) -> Identity {
        let own = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect();
        Identity {
            down: own(&info.down),
            depends_on: own(&info.dependencies),
        }
    }

    /// Every revision named: all of them must have run before this one.
    pub(crate) fn all(&self) -> impl Iterator<Item = &String> {
        self.down.iter().chain(&self.depends_on)
    }

    /// How a column holds a list: the ids as the header writes them.
    fn column(ids: &[String]) -> String {
        ids.join(", ")
    }

    fn from_column(text: &str) -> Vec<String> {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // In the header's own words.
        write!(f, "Revises: {}", self.down.join(", "))?;
        if !self.depends_on.is_empty() {
            write!(f, ", Depends On: {}", self.depends_on.join(", "))?;
        }
        Ok(())
    }
}

/// What a step ran (for a stamp or an accept, what it declares has run): the checksum of the statements and
/// the identity they ran with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    pub(crate) checksum: String,
    pub(crate) identity: Identity,
}

/// What the history holds for an applied revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Recorded {
    /// What ran, as dbkit records it now.
    Ran(Fingerprint),
    /// The checksum of the whole file, as older dbkit versions recorded it; it cannot say which part changed.
    File(String),
}

/// What the history table says about the revisions.
#[derive(Debug, Default)]
pub(crate) struct Records {
    /// The last successful upgrade, stamp or accept of each revision that recorded a checksum.
    pub(crate) applied: HashMap<String, Recorded>,
    /// Revisions whose last successful upgrade, stamp or downgrade left them applied.
    pub(crate) ran: HashSet<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Entry<'a> {
    pub(crate) revision: &'a str,
    pub(crate) action: Action,
    pub(crate) message: &'a str,
    pub(crate) fingerprint: Option<&'a Fingerprint>,
    pub(crate) duration_ms: u64,
    pub(crate) success: bool,
    pub(crate) error: Option<&'a str>,
}

/// The columns a table written by an older dbkit lacks; each is nullable, so old rows simply have none.
const IDENTITY_COLUMNS: [&str; 2] = ["down_revisions", "depends_on"];

/// How far the table on the database is from [`HistoryTable::create_sql`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Missing,
    /// Made by an older dbkit: no identity columns.
    WithoutIdentity,
    Current,
}

impl HistoryTable {
    pub(crate) fn qualified(&self) -> String {
        qualified(self.schema.as_deref(), &self.name)
    }

    pub(crate) fn create_sql(&self, d: &Dialect) -> String {
        let (ts, boolean) = (d.timestamp_type, d.boolean_type);
        format!(
            "CREATE TABLE IF NOT EXISTS {} (\n    id {},\n    revision VARCHAR(32) NOT NULL,\n    direction VARCHAR(16) NOT NULL,\n    message TEXT,\n    checksum VARCHAR(80),\n    applied_at {ts} NOT NULL,\n    duration_ms BIGINT NOT NULL,\n    applied_by TEXT NOT NULL,\n    success {boolean} NOT NULL,\n    error TEXT,\n    dbkit_version VARCHAR(32) NOT NULL,\n    down_revisions TEXT,\n    depends_on TEXT\n)",
            self.qualified(),
            d.serial_pk
        )
    }

    /// The table's columns in one query, which also says whether it exists.
    fn shape(&self, conn: &mut dyn Connection) -> Result<Shape> {
        let columns = conn
            .column_names(self.schema.as_deref(), &self.name)
            .map_err(Error::db(format!(
                "could not look for table {}",
                self.qualified()
            )))?;
        Ok(if columns.is_empty() {
            Shape::Missing
        } else if IDENTITY_COLUMNS
            .iter()
            .all(|c| columns.iter().any(|have| have == c))
        {
            Shape::Current
        } else {
            Shape::WithoutIdentity
        })
    }

    /// Creates the table, or adds the columns an older dbkit did not have.
    pub(crate) fn ensure(&self, conn: &mut dyn Connection) -> Result<()> {
        let context =
            |what: &str| Error::db(format!("could not {what} table {}", self.qualified()));
        match self.shape(conn)? {
            Shape::Current => Ok(()),
            Shape::Missing => {
                let d = conn.dialect();
                conn.batch(&self.create_sql(&d)).map_err(context("create"))
            }
            Shape::WithoutIdentity => {
                let add = IDENTITY_COLUMNS
                    .iter()
                    .map(|c| format!("ALTER TABLE {} ADD COLUMN {c} TEXT", self.qualified()));
                let mut failed = None;
                for statement in add {
                    if let Err(e) = conn.batch(&statement) {
                        failed = Some(e);
                        break;
                    }
                }
                match failed {
                    None => Ok(()),
                    // Another process that started at the same time may have added them first.
                    Some(_) if self.shape(conn)? == Shape::Current => Ok(()),
                    Some(e) => Err(context("add columns to")(e)),
                }
            }
        }
    }

    pub(crate) fn insert_sql(&self, d: &Dialect, e: &Entry<'_>) -> String {
        let opt = |v: Option<&str>| v.map(quote_literal).unwrap_or_else(|| "NULL".into());
        let list = |ids: Option<&Vec<String>>| opt(ids.map(|ids| Identity::column(ids)).as_deref());
        let identity = e.fingerprint.map(|f| &f.identity);
        format!(
            "INSERT INTO {} (revision, direction, message, checksum, applied_at, duration_ms, applied_by, success, error, dbkit_version, down_revisions, depends_on) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
            self.qualified(),
            quote_literal(e.revision),
            quote_literal(e.action.as_str()),
            quote_literal(e.message),
            opt(e.fingerprint.map(|f| f.checksum.as_str())),
            quote_literal(&chrono::Utc::now().format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string()),
            e.duration_ms,
            quote_literal(&who()),
            d.bool_literal(e.success),
            opt(e.error),
            quote_literal(crate::VERSION),
            list(identity.map(|i| &i.down)),
            list(identity.map(|i| &i.depends_on)),
        )
    }

    pub(crate) fn record(&self, conn: &mut dyn Connection, e: &Entry<'_>) -> Result<()> {
        let d = conn.dialect();
        conn.batch(&self.insert_sql(&d, e))
            .map_err(Error::db(format!(
                "could not write to {}",
                self.qualified()
            )))
    }

    /// What the successful steps say, read in one query; empty without the table.
    pub(crate) fn records(&self, conn: &mut dyn Connection) -> Result<Records> {
        let identity = match self.shape(conn)? {
            Shape::Missing => return Ok(Records::default()),
            Shape::WithoutIdentity => "NULL, NULL",
            Shape::Current => "down_revisions, depends_on",
        };
        let d = conn.dialect();
        let rows = conn
            .query(&format!(
                "SELECT revision, direction, checksum, {identity} FROM {} WHERE success = {} ORDER BY id",
                self.qualified(),
                d.true_literal
            ))
            .map_err(Error::db(format!("could not read {}", self.qualified())))?;
        let mut out = Records::default();
        for row in rows {
            let [Some(revision), Some(direction), checksum, down, depends_on] =
                <[Option<String>; 5]>::try_from(row).unwrap_or_default()
            else {
                continue;
            };
            let action = Action::from_stored(&direction);
            match action {
                Some(Action::Migrate(Direction::Down)) => {
                    out.ran.remove(&revision);
                }
                Some(Action::Migrate(Direction::Up) | Action::Stamp) => {
                    out.ran.insert(revision.clone());
                }
                _ => {}
            }
            let (
                Some(checksum),
                Some(Action::Migrate(Direction::Up) | Action::Stamp | Action::Accept),
            ) = (checksum, action)
            else {
                continue;
            };
            let recorded = match down {
                Some(down) if checksum.starts_with(SQL_CHECKSUM_PREFIX) => {
                    Recorded::Ran(Fingerprint {
                        checksum,
                        identity: Identity {
                            down: Identity::from_column(&down),
                            depends_on: Identity::from_column(depends_on.as_deref().unwrap_or("")),
                        },
                    })
                }
                _ => Recorded::File(checksum),
            };
            out.applied.insert(revision, recorded);
        }
        Ok(out)
    }

    /// Replaces a revision's old whole-file checksum with what ran, once the file is known to be the one that
    /// ran: from then on, edits that do not change what ran no longer count.
    pub(crate) fn upgrade_record_sql(
        &self,
        revision: &str,
        file_checksum: &str,
        f: &Fingerprint,
    ) -> String {
        format!(
            "UPDATE {} SET checksum = {}, down_revisions = {}, depends_on = {} WHERE revision = {} AND checksum = {}",
            self.qualified(),
            quote_literal(&f.checksum),
            quote_literal(&Identity::column(&f.identity.down)),
            quote_literal(&Identity::column(&f.identity.depends_on)),
            quote_literal(revision),
            quote_literal(file_checksum),
        )
    }

    /// Brings the `outdated` records of a [`Comparison`] up to date, in one batch.
    pub(crate) fn upgrade_records(
        &self,
        conn: &mut dyn Connection,
        outdated: &[(String, String, Fingerprint)],
    ) -> Result<()> {
        if outdated.is_empty() {
            return Ok(());
        }
        let sql: Vec<String> = outdated
            .iter()
            .map(|(revision, old, ran)| self.upgrade_record_sql(revision, old, ran))
            .collect();
        conn.batch(&sql.join(";\n"))
            .map_err(Error::db(format!("could not update {}", self.qualified())))
    }
}

/// How an applied revision's file differs from what ran on this database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// Its up SQL for this database's dialect is not the SQL that ran.
    Sql { recorded: String, current: String },
    /// Its up section was empty when it was applied and now has SQL: none of that SQL ran.
    FilledIn,
    /// It now revises or depends on other revisions than it ran on top of. `never_ran` are those it now builds
    /// on that never ran here, although the version table now counts them as applied; `dropped` are the last of
    /// those it built on that ran here and no longer count as applied, so an upgrade would run them again.
    Identity {
        was: Identity,
        now: Identity,
        never_ran: Vec<String>,
        dropped: Vec<String>,
        /// Its up SQL for this dialect changed as well.
        sql_changed: bool,
    },
    /// An older dbkit recorded a checksum of the whole file, and the file changed. `unrecorded` are the
    /// revisions it builds on that the history has no record of running here.
    File {
        recorded: String,
        current: String,
        unrecorded: Vec<String>,
    },
}

/// An applied revision whose file no longer says what ran, with what the remedy needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub(crate) revision: String,
    pub(crate) file: String,
    pub(crate) dialect: Engine,
    /// Its parents now (`Revises:`).
    pub(crate) down: Vec<String>,
    /// No applied revision comes after it.
    pub(crate) at_head: bool,
    pub(crate) change: Change,
}

impl Changed {
    /// Whether `validate --accept` may record the file as what ran: never when that would count SQL that did
    /// not run as applied.
    pub(crate) fn may_accept(&self) -> bool {
        match &self.change {
            Change::FilledIn => false,
            Change::Identity {
                never_ran, dropped, ..
            } => never_ran.is_empty() && dropped.is_empty(),
            Change::Sql { .. } | Change::File { .. } => true,
        }
    }

    /// What changed, in a few words.
    pub(crate) fn what(&self) -> String {
        let dialect = self.dialect.name();
        match &self.change {
            Change::Sql { recorded, current } => format!(
                "its up SQL for {dialect} is not the SQL that ran (ran {recorded}, the file now has {current})"
            ),
            Change::FilledIn => format!(
                "its up section for {dialect} was empty when it was applied, so none of its SQL ran here"
            ),
            Change::Identity {
                was,
                now,
                never_ran,
                dropped,
                sql_changed,
            } => {
                let mut text = format!("it ran with '{was}' and its file now says '{now}'");
                if *sql_changed {
                    text.push_str(&format!(", and its up SQL for {dialect} changed too"));
                }
                let them = |ids: &[String]| if ids.len() == 1 { "it" } else { "them" };
                if !never_ran.is_empty() {
                    text.push_str(&format!(
                        "; {} never ran on this database, though the version table now counts {} as applied",
                        quoted(never_ran),
                        them(never_ran)
                    ));
                }
                if !dropped.is_empty() {
                    text.push_str(&format!(
                        "; {} ran here but no longer count{} as applied, so an upgrade would run {} again",
                        quoted(dropped),
                        if dropped.len() == 1 { "s" } else { "" },
                        them(dropped)
                    ));
                }
                text
            }
            Change::File { recorded, current, .. } => format!(
                "an older dbkit recorded a checksum of the whole file ({recorded}, the file now has {current}), which cannot tell which part changed"
            ),
        }
    }

    /// The way out, as commands that never count SQL that did not run as applied.
    pub(crate) fn remedy(&self) -> String {
        let id = &self.revision;
        // Downgrading to a parent undoes it (and whatever was applied after it) with its down section; for a
        // merge, any one parent undoes just the merge.
        let before = self.down.first().map_or("base", String::as_str);
        let rerun = format!(
            "'db-migrate downgrade {before}' (runs its down section), then 'db-migrate upgrade'"
        );
        let accept = format!("'db-migrate validate --accept {id}'");
        match &self.change {
            Change::Sql { .. } => format!(
                "To run the new SQL: {rerun}. If the database already matches it, after review: {accept}"
            ),
            Change::FilledIn => {
                let first = if self.at_head {
                    String::new()
                } else {
                    format!("'db-migrate downgrade {id}' (undoes the revisions applied after it), ")
                };
                format!(
                    "To run it: {first}'db-migrate stamp {}' (it ran nothing, so there is nothing to undo), then 'db-migrate upgrade'",
                    stamp_target(&self.down)
                )
            }
            Change::Identity { was, never_ran, .. } if !never_ran.is_empty() => format!(
                "To run {}: 'db-migrate downgrade {before}' (undoes {id} and what was applied after it), 'db-migrate stamp {}' (moves the version table back to where {id} ran; nothing runs), then 'db-migrate upgrade' (runs {}, then {id})",
                quoted(never_ran),
                stamp_target(&was.down),
                never_ran.join(", ")
            ),
            Change::Identity { dropped, .. } if !dropped.is_empty() => format!(
                "'db-migrate stamp {}' records that {} ran here, which {} did (nothing runs); then, after review, {accept} records its new place",
                dropped.join(" "),
                quoted(dropped),
                if dropped.len() == 1 { "it" } else { "they" }
            ),
            Change::Identity { .. } => format!(
                "Everything it now builds on has run here, so after review {accept} records its new place"
            ),
            Change::File { unrecorded, .. } => {
                let mut text = format!(
                    "If only its message, comments, down section or another database's section changed: {accept}. If its up SQL for {} changed: {rerun}",
                    self.dialect.name()
                );
                if !unrecorded.is_empty() {
                    text.push_str(&format!(
                        ". If its Revises: or Depends On: changed, check first that {} ran here: the history has no record of {}",
                        quoted(unrecorded),
                        if unrecorded.len() == 1 { "it" } else { "them" }
                    ));
                }
                text
            }
        }
    }
}

impl fmt::Display for Changed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "revision '{}' ({}) has changed since it was applied: {}. {}",
            self.revision,
            self.file,
            self.what(),
            self.remedy()
        )
    }
}

fn quoted(ids: &[String]) -> String {
    let list: Vec<String> = ids.iter().map(|id| format!("'{id}'")).collect();
    list.join(", ")
}

/// The revisions of `ids` that no other one of them revises: stamping them counts the rest as well.
fn tips(map: &crate::graph::RevisionMap, ids: Vec<&str>) -> Vec<String> {
    let set: HashSet<&str> = ids.iter().copied().collect();
    ids.iter()
        .filter(|id| {
            map.info(id)
                .is_some_and(|info| !info.children.iter().any(|c| set.contains(c)))
        })
        .map(|id| id.to_string())
        .collect()
}

fn stamp_target(down: &[String]) -> String {
    if down.is_empty() {
        "base".into()
    } else {
        down.join(" ")
    }
}

/// What comparing the applied revisions with their files found.
#[derive(Debug, Default)]
pub(crate) struct Comparison {
    /// Bases first.
    pub(crate) changed: Vec<Changed>,
    /// Old whole-file records whose file is unchanged, with what ran: `(revision, old checksum, what ran)`.
    pub(crate) outdated: Vec<(String, String, Fingerprint)>,
}

/// Compares every revision applied at `heads` that has a record with its file, as run on `dialect`.
pub(crate) fn compare(
    scripts: &Scripts,
    records: &Records,
    heads: &[String],
    dialect: Engine,
) -> Result<Comparison> {
    let map = &scripts.map;
    let mut out = Comparison::default();
    if records.applied.is_empty() {
        return Ok(out);
    }
    let known: Vec<String> = heads.iter().filter(|h| map.contains(h)).cloned().collect();
    let applied = map.applied(&known)?;
    let counted: HashSet<&str> = applied.iter().copied().collect();
    for id in applied {
        let Some(recorded) = records.applied.get(id) else {
            continue;
        };
        let script = scripts.get(id)?;
        let info = map.info(id).expect("applied revisions are in the map");
        let now = Identity::of(&info);
        let not_ran = |ids: Vec<&str>| -> Vec<String> {
            ids.into_iter()
                .filter(|x| *x != id && !records.ran.contains(*x))
                .map(str::to_string)
                .collect()
        };
        let change = match recorded {
            Recorded::File(sum) if sum == script.file_checksum() => {
                out.outdated.push((
                    id.to_string(),
                    sum.clone(),
                    Fingerprint {
                        checksum: script.up_checksum(dialect)?,
                        identity: now,
                    },
                ));
                continue;
            }
            Recorded::File(sum) => Change::File {
                recorded: sum.clone(),
                current: script.file_checksum().to_string(),
                unrecorded: not_ran(map.applied(&[id.to_string()])?),
            },
            Recorded::Ran(f) => {
                let (never_ran, dropped) = if f.identity == now {
                    (Vec::new(), Vec::new())
                } else {
                    // What it stood on when it ran: its recorded parents' ancestry in today's graph.
                    let was: Vec<String> = f
                        .identity
                        .all()
                        .filter(|p| map.contains(p))
                        .cloned()
                        .collect();
                    let before = map.applied(&was)?;
                    let stood: HashSet<&str> = before.iter().copied().collect();
                    let new = map.applied(&[id.to_string()])?;
                    let dropped: Vec<&str> = before
                        .into_iter()
                        .filter(|x| !counted.contains(x) && records.ran.contains(*x))
                        .collect();
                    (
                        not_ran(new.into_iter().filter(|x| !stood.contains(x)).collect()),
                        tips(map, dropped),
                    )
                };
                let current = script.up_checksum(dialect)?;
                let sql_changed = f.checksum != current;
                // A changed place comes first when it hides or repeats SQL: accepting the SQL alone would
                // record the new place too.
                if never_ran.is_empty() && dropped.is_empty() && sql_changed {
                    if crate::script::is_empty_sql(&f.checksum) {
                        Change::FilledIn
                    } else {
                        Change::Sql {
                            recorded: f.checksum.clone(),
                            current,
                        }
                    }
                } else if f.identity != now {
                    Change::Identity {
                        was: f.identity.clone(),
                        now,
                        never_ran,
                        dropped,
                        sql_changed,
                    }
                } else {
                    continue;
                }
            }
        };
        out.changed.push(Changed {
            revision: id.to_string(),
            file: script.path.display().to_string(),
            dialect,
            down: info.down.iter().map(|s| s.to_string()).collect(),
            at_head: heads.iter().any(|h| h == id),
            change,
        });
    }
    Ok(out)
}

/// `user@host`, for the history's "by whom".
pub(crate) fn who() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(account);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{user}@{host}")
}

/// The account the process runs as, for where `USER` is not set (containers, cron, CI): its name in the
/// password file, else its uid.
fn account() -> String {
    use std::os::unix::fs::MetadataExt;
    let Ok(uid) = std::fs::metadata("/proc/self").map(|m| m.uid()) else {
        return "unknown".into();
    };
    let named = std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| {
            passwd.lines().find_map(|line| {
                let mut fields = line.split(':');
                let name = fields.next()?;
                (fields.nth(1)? == uid.to_string()).then(|| name.to_string())
            })
        });
    named.unwrap_or_else(|| format!("uid {uid}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_is_named_without_user_in_the_environment() {
        let name = account();
        assert!(!name.is_empty() && name != "unknown", "{name}");
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn changed(down: &[&str], at_head: bool, change: Change) -> Changed {
        Changed {
            revision: "devB01".into(),
            file: "v/devB01.sql".into(),
            dialect: Engine::Sqlite,
            down: ids(down),
            at_head,
            change,
        }
    }

    #[test]
    fn an_identity_survives_its_columns_and_reads_like_the_header() {
        let identity = Identity {
            down: ids(&["a1", "b1"]),
            depends_on: ids(&["c1"]),
        };
        assert_eq!(
            Identity::from_column(&Identity::column(&identity.down)),
            identity.down
        );
        assert_eq!(
            Identity::from_column(&Identity::column(&[])),
            Vec::<String>::new()
        );
        assert_eq!(identity.to_string(), "Revises: a1, b1, Depends On: c1");
        assert_eq!(Identity::default().to_string(), "Revises: ");
        assert_eq!(identity.all().count(), 3);
    }

    #[test]
    fn accepting_never_counts_sql_that_did_not_run() {
        let reparented = |never_ran: &[&str]| Change::Identity {
            was: Identity {
                down: ids(&["r0"]),
                depends_on: vec![],
            },
            now: Identity {
                down: ids(&["devA01"]),
                depends_on: vec![],
            },
            never_ran: ids(never_ran),
            dropped: vec![],
            sql_changed: false,
        };
        assert!(!changed(&["r0"], true, Change::FilledIn).may_accept());
        assert!(!changed(&["devA01"], true, reparented(&["devA01"])).may_accept());
        assert!(changed(&["devA01"], true, reparented(&[])).may_accept());
        let away = Change::Identity {
            was: Identity {
                down: ids(&["r2"]),
                depends_on: vec![],
            },
            now: Identity {
                down: ids(&["r1"]),
                depends_on: vec![],
            },
            never_ran: vec![],
            dropped: ids(&["r2"]),
            sql_changed: true,
        };
        let away = changed(&["r1"], true, away);
        assert!(!away.may_accept());
        assert!(
            away.what()
                .contains("and its up SQL for sqlite changed too; 'r2' ran here"),
            "{}",
            away.what()
        );
        assert!(
            away.remedy().starts_with("'db-migrate stamp r2'"),
            "{}",
            away.remedy()
        );
        let sql = Change::Sql {
            recorded: "sql-sha256:1".into(),
            current: "sql-sha256:2".into(),
        };
        assert!(changed(&["r0"], true, sql).may_accept());
    }

    #[test]
    fn each_change_names_a_remedy_that_runs_the_sql() {
        let text = changed(
            &["devA01"],
            true,
            Change::Identity {
                was: Identity {
                    down: ids(&["r0"]),
                    depends_on: vec![],
                },
                now: Identity {
                    down: ids(&["devA01"]),
                    depends_on: vec![],
                },
                never_ran: ids(&["devA01"]),
                dropped: vec![],
                sql_changed: false,
            },
        )
        .to_string();
        assert!(
            text.starts_with("revision 'devB01' (v/devB01.sql) has changed since it was applied: it ran with 'Revises: r0' and its file now says 'Revises: devA01'; 'devA01' never ran on this database"),
            "{text}"
        );
        assert!(
            text.contains("'db-migrate downgrade devA01' (undoes devB01 and what was applied after it), 'db-migrate stamp r0'"),
            "{text}"
        );
        assert!(!text.contains("--accept"), "{text}");

        let filled = changed(&["r1"], false, Change::FilledIn).remedy();
        assert_eq!(
            filled,
            "To run it: 'db-migrate downgrade devB01' (undoes the revisions applied after it), 'db-migrate stamp r1' (it ran nothing, so there is nothing to undo), then 'db-migrate upgrade'"
        );
        let root = changed(
            &[],
            true,
            Change::Sql {
                recorded: "sql-sha256:1".into(),
                current: "sql-sha256:2".into(),
            },
        )
        .remedy();
        assert!(
            root.starts_with("To run the new SQL: 'db-migrate downgrade base'"),
            "{root}"
        );
        let merge = changed(&["a2", "b2"], true, Change::FilledIn).remedy();
        assert!(merge.contains("'db-migrate stamp a2 b2'"), "{merge}");
    }
}
