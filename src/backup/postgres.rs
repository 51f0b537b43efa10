//! PostgreSQL backups through `pg_dump --format=custom` and restores through `pg_restore`, or as plain SQL
//! (`pg_dump --format=plain`) restored through `psql`.
//!
//! The dump and the version-table read share one snapshot: a repeatable-read transaction exports it, reads
//! the version table, and `pg_dump --snapshot` dumps exactly what that transaction sees, so the manifest's
//! revisions are those of the dump even while a migration runs. A restore runs in one transaction and stops
//! at the first error, so it is all or nothing.

use std::collections::HashSet;
use std::ffi::OsString;
use std::io::{BufRead, Read, Seek, SeekFrom};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use tempfile::TempPath;

use super::manifest::{self, Hashing, Manifest};
use super::sqlite::Snapshot;
use super::store::Store;
use super::{BackupError, DumpFormat};
use crate::dburl::PgTarget;
use crate::dialect::postgres::pgtool::{dbname_arg, PgTool, PgVersion, ToolError};
use crate::dialect::postgres::PgConnection;
use crate::dialect::{quote_ident, Connection};
use crate::error::{Error, Result};
use crate::progress::Event;
use crate::version::VersionTable;

/// Flags shared by the real restore and the scratch one, so `verify --deep` tries what `restore` will run.
const RESTORE_FLAGS: &[&str] = &[
    "--clean",
    "--if-exists",
    "--no-owner",
    "--single-transaction",
    "--exit-on-error",
    "--no-password",
];

/// What a plain dump is written with: the restore flags that change what it holds, since a SQL script cannot
/// be told them when it runs.
const PLAIN_DUMP_FLAGS: &[&str] = &[
    "--format=plain",
    "--clean",
    "--if-exists",
    "--no-owner",
    "--no-password",
];

/// How `psql` runs a plain dump, for the real restore and the scratch one alike: no start-up file, one
/// transaction, stop at the first error.
const PSQL_FLAGS: &[&str] = &[
    "--no-psqlrc",
    "--quiet",
    "--no-password",
    "--set=ON_ERROR_STOP=1",
    "--single-transaction",
];

/// The first and last comment lines `pg_dump` writes into a plain dump. The last is only written once the
/// whole dump is out, so a file without it was cut short.
const PLAIN_HEADER: &str = "-- PostgreSQL database dump";
const PLAIN_TRAILER: &str = "-- PostgreSQL database dump complete";

/// How far from the end of a plain dump its trailer may be (later versions follow it with a line or two).
const TRAILER_WINDOW: u64 = 4096;
fn connect(target: &PgTarget) -> Result<Box<dyn Connection>> {
    Ok(Box::new(PgConnection::open(target)?))
}

/// The server's version as a number and as text (`PostgreSQL 15.4`).
fn server_version(conn: &mut dyn Connection) -> Result<(PgVersion, String)> {
    let text = conn
        .server_version()
        .map_err(Error::db("could not read the server version"))?;
    let num = conn
        .value("SHOW server_version_num")
        .map_err(Error::db("could not read the server version"))?
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| Error::Connect(format!("the server reported no version number ({text})")))?;
    Ok((PgVersion(num), text))
}

fn args(items: &[&str], tail: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    items.iter().map(OsString::from).chain(tail).collect()
}

fn forward_warnings(tool: &str, stderr: &str, events: &mut dyn FnMut(Event<'_>)) {
    for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
        events(Event::Note(&format!("{tool}: {}", line.trim())));
    }
}

/// Dumps the database into a new temporary file in the store. Connects and checks the tool before any file
/// is made.
pub(crate) fn dump(
    target: &PgTarget,
    store: &Store,
    table: &VersionTable,
    format: DumpFormat,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<(TempPath, Snapshot)> {
    let mut conn = connect(target)?;
    let conn = conn.as_mut();
    let (version, version_text) = server_version(conn)?;
    let tool = PgTool::pg_dump(Some(version))?;
    tool.require_not_older_than(version, &version_text)?;
    conn.batch("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .map_err(Error::db("could not start the snapshot transaction"))?;
    let snapshot = conn
        .value("SELECT pg_export_snapshot()")
        .map_err(Error::db("could not export a snapshot"))?
        .ok_or_else(|| Error::Connect("the server exported no snapshot".into()))?;
    let revisions = table.heads(conn)?;
    let tmp = store.temp_file("backup")?;
    let mut file = OsString::from("--file=");
    file.push(tmp.as_os_str());
    let flags: &[&str] = match format {
        DumpFormat::Custom => &["--format=custom", "--no-password"],
        DumpFormat::Plain => PLAIN_DUMP_FLAGS,
    };
    let out = tool.run(
        Some(target),
        &args(
            flags,
            [OsString::from(format!("--snapshot={snapshot}")), file],
        ),
    )?;
    forward_warnings(tool.name, &out.stderr, events);
    conn.batch("COMMIT")
        .map_err(Error::db("could not end the snapshot transaction"))?;
    Ok((
        tmp,
        Snapshot {
            server_version: version_text,
            revisions,
        },
    ))
}

/// What `pg_restore --list` found in an archive.
#[derive(Debug, Default)]
pub(crate) struct Toc {
    pub(crate) entries: usize,
    /// `(schema, table)` of every table the archive creates.
    pub(crate) tables: HashSet<(String, String)>,
}

/// Checks the backup file against its manifest and reads its table of contents; a file `pg_restore` cannot
/// read, or a plain dump without pg_dump's header or trailer, is a corrupt backup. A plain dump is hashed while
/// its entries are read, so a large one is read once.
pub(crate) fn read_toc(file: &Path, m: &Manifest) -> Result<Toc> {
    if m.is_plain() {
        return read_plain_toc(file, m);
    }
    manifest::check_file(file, m)?;
    let tool = PgTool::pg_restore(PgVersion::parse(&m.server_version))?;
    let out = match tool.run(None, &args(&["--list"], [file.as_os_str().to_owned()])) {
        Ok(out) => out,
        Err(ToolError::Failed { stderr, .. }) => {
            return Err(BackupError::Integrity {
                path: file.to_path_buf(),
                detail: format!("pg_restore --list cannot read it: {stderr}"),
            }
            .into())
        }
        Err(e) => return Err(e.into()),
    };
    Ok(parse_toc(&out.stdout))
}

/// A plain dump's entries, from the `-- Name: t; Type: TABLE; Schema: public; Owner: o` comment `pg_dump`
/// writes before each, after checking that it starts and ends as a whole dump does.
fn read_plain_toc(file: &Path, m: &Manifest) -> Result<Toc> {
    let corrupt = |detail: String| {
        Error::from(BackupError::Integrity {
            path: file.to_path_buf(),
            detail,
        })
    };
    let mut f = std::fs::File::open(file).map_err(Error::io(file))?;
    let mut hashing = Hashing::new(&f);
    let toc = parse_plain_toc(std::io::BufReader::new(&mut hashing)).map_err(Error::io(file))?;
    manifest::check_digest(file, m, hashing.finish().map_err(Error::io(file))?)?;
    let size = f.metadata().map_err(Error::io(file))?.len();
    f.seek(SeekFrom::Start(size.saturating_sub(TRAILER_WINDOW)))
        .map_err(Error::io(file))?;
    let mut tail = Vec::new();
    f.read_to_end(&mut tail).map_err(Error::io(file))?;
    if !String::from_utf8_lossy(&tail)
        .lines()
        .any(|l| l.trim_end() == PLAIN_TRAILER)
    {
        return Err(corrupt(format!(
            "it does not end with pg_dump's '{PLAIN_TRAILER}' line, so the dump was cut short"
        )));
    }
    toc.ok_or_else(|| {
        corrupt(format!(
            "it does not start with pg_dump's '{PLAIN_HEADER}' line"
        ))
    })
}

/// `None` when the text does not start as a plain dump. The data of `COPY … FROM stdin` is skipped, so a row
/// that reads like an entry's comment is not one.
fn parse_plain_toc(reader: impl BufRead) -> std::io::Result<Option<Toc>> {
    let mut toc = Toc::default();
    let mut lines = reader.split(b'\n');
    let first = loop {
        match lines.next() {
            Some(line) => {
                let line = line?;
                if !line.iter().all(u8::is_ascii_whitespace) {
                    break line;
                }
            }
            None => return Ok(None),
        }
    };
    if String::from_utf8_lossy(&first).trim_end() != "--"
        && !first.starts_with(PLAIN_HEADER.as_bytes())
    {
        return Ok(None);
    }
    let mut seen_header = first.starts_with(PLAIN_HEADER.as_bytes());
    let mut in_copy = false;
    for line in lines {
        let line = line?;
        if in_copy {
            in_copy = line != b"\\.";
            continue;
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end();
        if !seen_header {
            // pg_dump opens with a `--` line, then the header.
            if line != PLAIN_HEADER {
                return Ok(None);
            }
            seen_header = true;
            continue;
        }
        if line.starts_with("COPY ") && line.ends_with("FROM stdin;") {
            in_copy = true;
            continue;
        }
        let Some(entry) = line.strip_prefix("-- Name: ") else {
            continue;
        };
        toc.entries += 1;
        let field = |key: &str| {
            entry
                .split("; ")
                .find_map(|part| part.strip_prefix(key))
                .map(str::to_string)
        };
        let (name, kind, schema) = (
            entry.split("; ").next().unwrap_or(""),
            field("Type: "),
            field("Schema: "),
        );
        if let (Some("TABLE"), Some(schema)) = (kind.as_deref(), schema) {
            toc.tables.insert((schema, name.to_string()));
        }
    }
    Ok(seen_header.then_some(toc))
}

fn parse_toc(listing: &str) -> Toc {
    let mut toc = Toc::default();
    for line in listing.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        toc.entries += 1;
        // `215; 1259 22464 TABLE public t1 owner`: the id, two oids, the kind, schema, name and owner.
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() >= 7 && words[3] == "TABLE" && words[4] != "DATA" {
            let name = words[5..words.len() - 1].join(" ");
            toc.tables.insert((words[4].to_string(), name));
        }
    }
    toc
}

/// The tool that restores a backup of this format into a server of `version`.
fn restorer(plain: bool, version: PgVersion, version_text: &str) -> Result<PgTool> {
    let tool = if plain {
        PgTool::psql(Some(version))?
    } else {
        PgTool::pg_restore(Some(version))?
    };
    tool.require_not_older_than(version, version_text)?;
    Ok(tool)
}

/// Runs `tool` (from [`restorer`]) to load the backup into database `dbname` of `target`'s server.
fn load(
    tool: &PgTool,
    plain: bool,
    target: &PgTarget,
    dbname: &str,
    file: &Path,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<()> {
    let argv = if plain {
        let mut script = OsString::from("--file=");
        script.push(file.as_os_str());
        args(PSQL_FLAGS, [dbname_arg(dbname), script])
    } else {
        args(
            RESTORE_FLAGS,
            [dbname_arg(dbname), file.as_os_str().to_owned()],
        )
    };
    let out = tool.run(Some(target), &argv)?;
    forward_warnings(tool.name, &out.stderr, events);
    Ok(())
}

/// Restores the backup into the target database, all or nothing.
pub(crate) fn restore(
    target: &PgTarget,
    file: &Path,
    plain: bool,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<()> {
    let mut conn = connect(target)?;
    let (version, version_text) = server_version(conn.as_mut())?;
    drop(conn);
    let tool = restorer(plain, version, &version_text)?;
    load(&tool, plain, target, target.dbname(), file, events)
}

/// Tables in the database that the archive does not hold: `--clean` only drops what the archive creates, so
/// these survive a restore, and the caller should say so.
pub(crate) fn tables_not_in(target: &PgTarget, toc: &Toc) -> Result<Vec<String>> {
    let mut conn = connect(target)?;
    let rows = conn
        .query(
            "SELECT schemaname, tablename FROM pg_tables \
             WHERE schemaname NOT IN ('pg_catalog', 'information_schema') \
             ORDER BY 1, 2",
        )
        .map_err(Error::db("could not list the tables"))?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let mut r = r.into_iter();
            Some((r.next()??, r.next()??))
        })
        .filter(|key| !toc.tables.contains(key))
        .map(|(schema, table)| format!("{schema}.{table}"))
        .collect())
}

/// A temporary database that is dropped when this is dropped, whatever happened in between.
struct Scratch {
    admin: Box<dyn Connection>,
    name: String,
    force: bool,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let with = if self.force { " WITH (FORCE)" } else { "" };
        let _ = self.admin.batch(&format!(
            "DROP DATABASE IF EXISTS {}{with}",
            quote_ident(&self.name)
        ));
    }
}

/// Connects to a database that is always there, for creating and dropping the scratch one.
fn maintenance(target: &PgTarget) -> Result<Box<dyn Connection>> {
    match connect(&target.with_dbname("postgres")) {
        Ok(conn) => Ok(conn),
        Err(first) => connect(&target.with_dbname("template1")).map_err(|_| first),
    }
}

/// Restores the archive into a new temporary database on the target's server, reads its version table, and
/// drops it.
pub(crate) fn scratch_restore(
    target: &PgTarget,
    file: &Path,
    plain: bool,
    table: &VersionTable,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Vec<String>> {
    let mut admin = maintenance(target)?;
    let (version, version_text) = server_version(admin.as_mut())?;
    let tool = restorer(plain, version, &version_text)?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!("dbkit_verify_{}_{nanos}", std::process::id());
    admin
        .batch(&format!("CREATE DATABASE {}", quote_ident(&name)))
        .map_err(Error::db(format!(
            "could not create the scratch database '{name}' for --deep (the role needs CREATEDB)"
        )))?;
    let scratch = Scratch {
        admin,
        name,
        force: version >= PgVersion(130000),
    };
    let target = target.with_dbname(&scratch.name);
    load(&tool, plain, &target, &scratch.name, file, events)?;
    let mut conn = connect(&target)?;
    let heads = table.heads(conn.as_mut())?;
    drop(conn);
    drop(scratch);
    Ok(heads)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_of_contents_yields_tables_even_with_spaces_in_names() {
        let toc = parse_toc(
            ";\n; Archive created at 2026-11-21\n;\n\
             215; 1259 22464 TABLE public my t dbkit\n\
             216; 1259 22470 SEQUENCE public s dbkit\n\
             214; 1259 22459 TABLE public t1 dbkit\n\
             3347; 0 22464 TABLE DATA public my t dbkit\n",
        );
        assert_eq!(toc.entries, 4);
        let expected: HashSet<(String, String)> = [("public", "my t"), ("public", "t1")]
            .iter()
            .map(|(s, t)| (s.to_string(), t.to_string()))
            .collect();
        assert_eq!(toc.tables, expected);
    }

    #[test]
    fn a_plain_dump_yields_its_entries_and_tables_but_not_its_data() {
        let dump = "--\n-- PostgreSQL database dump\n--\n\nSET client_min_messages = warning;\n\n\
                    --\n-- Name: users; Type: TABLE; Schema: public; Owner: -\n--\n\n\
                    CREATE TABLE public.users (id integer, note text);\n\n\
                    --\n-- Name: users_id_seq; Type: SEQUENCE; Schema: public; Owner: -\n--\n\n\
                    --\n-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: -\n--\n\n\
                    COPY public.users (id, note) FROM stdin;\n\
                    -- Name: fake; Type: TABLE; Schema: public; Owner: -\t1\n\\.\n\n\
                    --\n-- PostgreSQL database dump complete\n--\n\n";
        let toc = parse_plain_toc(dump.as_bytes()).unwrap().unwrap();
        assert_eq!(toc.entries, 2);
        let expected: HashSet<(String, String)> =
            [("public".to_string(), "users".to_string())].into();
        assert_eq!(toc.tables, expected);
        assert!(parse_plain_toc("PGDMP binary".as_bytes())
            .unwrap()
            .is_none());
        assert!(parse_plain_toc("".as_bytes()).unwrap().is_none());
    }
}
