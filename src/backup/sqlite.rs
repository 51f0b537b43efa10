//! SQLite backups through the online backup API, and putting one back.
//!
//! The copy is made inside one read transaction on the source, so every page (and the version table's rows)
//! comes from the same snapshot while the application keeps writing: in WAL mode writers never wait, in
//! rollback-journal mode they wait on their busy timeout while the pages are copied. Restoring writes a
//! temporary file beside the database and renames it over the live one, with the write-ahead log emptied and
//! the write lock held, so no stale log frame can be replayed onto the restored file.

use std::fs;
use std::io::{BufReader, BufWriter, IsTerminal, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use rusqlite::backup::StepResult;
use rusqlite::{Connection, OpenFlags};
use tempfile::TempPath;

use super::store::{sync_dir, sync_file};
use super::BackupError;
use crate::dialect::SqliteConnection;
use crate::error::{Error, Result};
use crate::version::VersionTable;

/// Pages copied per step: small enough for a smooth progress bar, large enough not to matter for speed.
const PAGES_PER_STEP: i32 = 1024;
const RETRY_PAUSE: Duration = Duration::from_millis(50);
const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// What the backup saw at the moment of its snapshot.
pub(crate) struct Snapshot {
    pub(crate) server_version: String,
    pub(crate) revisions: Vec<String>,
}

fn sqlite_error(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| {
        let message = match &e {
            rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
            other => other.to_string(),
        };
        BackupError::Sqlite {
            path: path.to_path_buf(),
            message,
        }
        .into()
    }
}

pub(crate) fn server_version() -> String {
    format!("SQLite {}", rusqlite::version())
}

/// Opens a database that must already exist (never creates one by accident).
fn open_existing(path: &Path, busy: Duration) -> Result<Connection> {
    if !path.is_file() {
        return Err(BackupError::NoDatabase(path.to_path_buf()).into());
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite_error(path))?;
    conn.busy_timeout(busy).map_err(sqlite_error(path))?;
    Ok(conn)
}

fn open_read_only(path: &Path) -> Result<Connection> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite_error(path))
}

fn progress_bar(show: bool, what: &str) -> ProgressBar {
    if !show || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template("{msg} [{bar:40}] {percent}% ({pos}/{len} pages)")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    ProgressBar::new(0)
        .with_style(style)
        .with_message(format!("backing up {what}"))
}

/// Copies `src` into the empty file `dest` and reads the version table from the same snapshot.
pub(crate) fn backup(
    src: &Path,
    dest: &Path,
    busy: Duration,
    table: &VersionTable,
    progress: bool,
) -> Result<Snapshot> {
    let mut source = SqliteConnection::wrap(open_existing(src, busy)?);
    let err = sqlite_error(src);
    source.inner().execute_batch("BEGIN").map_err(&err)?;
    // The first read starts the snapshot; the backup steps below run inside the same transaction.
    let revisions = table.heads(&mut source)?;
    let source = source.inner();
    let mut target = Connection::open(dest).map_err(sqlite_error(dest))?;
    {
        let copy = rusqlite::backup::Backup::new(source, &mut target).map_err(&err)?;
        let bar = progress_bar(progress, &src.display().to_string());
        let mut waiting_since: Option<Instant> = None;
        loop {
            match copy.step(PAGES_PER_STEP).map_err(&err)? {
                StepResult::Done => break,
                StepResult::More => {
                    waiting_since = None;
                    let p = copy.progress();
                    bar.set_length(p.pagecount.max(0) as u64);
                    bar.set_position((p.pagecount - p.remaining).max(0) as u64);
                }
                // Busy and Locked are transient: another connection holds a lock for a moment.
                _ => {
                    let since = *waiting_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= busy {
                        return Err(BackupError::Busy {
                            path: src.to_path_buf(),
                            seconds: busy.as_secs(),
                        }
                        .into());
                    }
                    std::thread::sleep(RETRY_PAUSE);
                }
            }
        }
        bar.finish_and_clear();
    }
    source.execute_batch("COMMIT").map_err(&err)?;
    // A copy of a WAL database would carry the WAL flag; a backup is one self-contained file.
    target
        .query_row("PRAGMA journal_mode=DELETE", [], |row| {
            row.get::<_, String>(0)
        })
        .map_err(sqlite_error(dest))?;
    target.close().map_err(|(_, e)| sqlite_error(dest)(e))?;
    Ok(Snapshot {
        server_version: server_version(),
        revisions,
    })
}

/// The file is a SQLite database and passes `PRAGMA integrity_check`; opened read-only.
pub(crate) fn check(path: &Path, shown: &Path) -> Result<()> {
    let corrupt = |detail: String| {
        Error::from(BackupError::Integrity {
            path: shown.to_path_buf(),
            detail,
        })
    };
    let mut header = [0u8; 16];
    let read = fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .map(|()| header == *MAGIC);
    if !matches!(read, Ok(true)) {
        return Err(corrupt("it is not a SQLite database file".into()));
    }
    let conn = open_read_only(path)?;
    let rows: rusqlite::Result<Vec<String>> = conn
        .prepare("PRAGMA integrity_check")
        .and_then(|mut stmt| stmt.query_map([], |row| row.get::<_, String>(0))?.collect());
    match rows {
        Ok(rows) if rows == ["ok"] => Ok(()),
        Ok(rows) => Err(corrupt(
            rows.into_iter().take(5).collect::<Vec<_>>().join("; "),
        )),
        Err(e) => Err(corrupt(match e {
            rusqlite::Error::SqliteFailure(_, Some(msg)) => msg,
            other => other.to_string(),
        })),
    }
}

/// The version table of a database file, opened read-only.
pub(crate) fn heads(path: &Path, table: &VersionTable) -> Result<Vec<String>> {
    table.heads(&mut SqliteConnection::wrap(open_read_only(path)?))
}

pub(crate) fn compress(src: &Path, dest: &Path) -> Result<()> {
    let input = fs::File::open(src).map_err(Error::io(src))?;
    let output = fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(dest)
        .map_err(Error::io(dest))?;
    zstd::stream::copy_encode(BufReader::new(input), BufWriter::new(output), 0)
        .map_err(Error::io(dest))
}

/// Writes the database a backup holds into `dest` (an existing file), decompressing when needed.
pub(crate) fn materialize(backup: &Path, compressed: bool, dest: &Path) -> Result<()> {
    let mut input = BufReader::new(fs::File::open(backup).map_err(Error::io(backup))?);
    let output = fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(dest)
        .map_err(Error::io(dest))?;
    let mut output = BufWriter::new(output);
    if compressed {
        zstd::stream::copy_decode(input, &mut output).map_err(|e| BackupError::Integrity {
            path: backup.to_path_buf(),
            detail: format!("it cannot be decompressed: {e}"),
        })?;
    } else {
        std::io::copy(&mut input, &mut output).map_err(Error::io(dest))?;
    }
    let file = output
        .into_inner()
        .map_err(|e| Error::io(dest)(e.into_error()))?;
    file.sync_all().map_err(Error::io(dest))
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// Renames `restored` over `live`. The live database's journal mode and file mode carry over; the write lock
/// is held and its write-ahead log is empty at the moment of the rename.
pub(crate) fn install(live: &Path, restored: TempPath, busy: Duration) -> Result<()> {
    let dir = live.parent().unwrap_or(Path::new("."));
    if !live.exists() {
        sync_file(&restored)?;
        restored
            .persist(live)
            .map_err(|e| Error::io(live)(e.error))?;
        return sync_dir(dir);
    }
    let conn = open_existing(live, busy)?;
    let err = sqlite_error(live);
    // A read first: a database with a log beside it only reports WAL mode once it has been read.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| {
        row.get::<_, i64>(0)
    })
    .map_err(&err)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .map_err(&err)?;
    let wal = mode.eq_ignore_ascii_case("wal");
    if wal {
        let copy = Connection::open(&*restored).map_err(sqlite_error(&restored))?;
        copy.query_row("PRAGMA journal_mode=WAL", [], |row| row.get::<_, String>(0))
            .map_err(sqlite_error(&restored))?;
        copy.close().map_err(|(_, e)| sqlite_error(&restored)(e))?;
    }
    if let Ok(meta) = fs::metadata(live) {
        let mode = meta.permissions().mode() & 0o777;
        fs::set_permissions(&restored, fs::Permissions::from_mode(mode))
            .map_err(Error::io(&*restored))?;
    }
    sync_file(&restored)?;
    let wal_path = sibling(live, "-wal");
    let deadline = Instant::now() + busy;
    loop {
        if wal {
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                row.get::<_, i64>(0)
            })
            .map_err(&err)?;
        }
        conn.execute_batch("BEGIN EXCLUSIVE").map_err(&err)?;
        // Frames left in the log would be replayed onto the new file by the next connection.
        let frames = fs::metadata(&wal_path).map(|m| m.len()).unwrap_or(0);
        if frames == 0 {
            break;
        }
        conn.execute_batch("ROLLBACK").map_err(&err)?;
        if Instant::now() >= deadline {
            return Err(BackupError::Busy {
                path: live.to_path_buf(),
                seconds: busy.as_secs(),
            }
            .into());
        }
        std::thread::sleep(RETRY_PAUSE);
    }
    restored
        .persist(live)
        .map_err(|e| Error::io(live)(e.error))?;
    sync_dir(dir)?;
    drop(conn);
    // An empty log and its index left by the old file are harmless, but would make the restored file open
    // in WAL mode once.
    if !wal && fs::metadata(&wal_path).is_ok_and(|m| m.len() == 0) {
        let _ = fs::remove_file(&wal_path);
        let _ = fs::remove_file(sibling(live, "-shm"));
    }
    Ok(())
}
