"""Backups: a SQLite database of about 1 GiB against `cp` and `sqlite3 .backup`, and a PostgreSQL database
against plain `pg_dump -Fc`. The source is made once and cached; every run writes a new backup file.
"""

import os
import shutil
import subprocess

import databases
from measure import Case, interleave, log
from tools import Command

SQLITE_ROWS = int(os.environ.get("BENCH_BACKUP_SQLITE_ROWS", "1000000"))
PG_ROWS = int(os.environ.get("BENCH_BACKUP_PG_ROWS", "300000"))

# Rows of about 1 KiB with an index, like an application's event log.
SCHEMA = """
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
INSERT INTO alembic_version VALUES ('0123456789ab');
CREATE TABLE events (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL);
"""
SQLITE_FILL = """
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < {rows})
INSERT INTO events SELECT i, abs(random()) % 100000, 'kind' || (i % 17), hex(randomblob(480)) FROM c;
CREATE INDEX ix_events_user ON events (user_id);
"""
PG_FILL = """
INSERT INTO events SELECT i, (random() * 100000)::int, 'kind' || (i % 17), md5(i::text) || repeat(md5(random()::text), 29)
FROM generate_series(1, {rows}) AS i;
CREATE INDEX ix_events_user ON events (user_id);
VACUUM ANALYZE events;
"""


def sqlite_source(cache):
    path = os.path.join(cache, f"backup-source-{SQLITE_ROWS}.db")
    if not os.path.exists(path):
        log(f"backup: writing a SQLite database of {SQLITE_ROWS} rows (once)")
        subprocess.run(["sqlite3", path + ".tmp"], input=SCHEMA + SQLITE_FILL.format(rows=SQLITE_ROWS),
                       text=True, check=True)
        os.rename(path + ".tmp", path)
    return databases.Sqlite(path)


def pg_source(server):
    db = server.empty()
    log(f"backup: writing a PostgreSQL database of {PG_ROWS} rows")
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.url()],
                   input=SCHEMA + PG_FILL.format(rows=PG_ROWS), text=True, check=True)
    return db


def size_of(db):
    if db.engine == "sqlite":
        return os.path.getsize(db.path)
    return int(db.query(f"SELECT pg_database_size('{db.name}')"))


def case(name, scratch, command):
    """A Case whose every run writes into an empty directory; `sync` first, so no run pays for the last one's writes."""

    def setup():
        out = os.path.join(scratch, name)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        subprocess.run(["sync"], check=True)

        def check():
            if not any(os.path.getsize(os.path.join(d, f)) > 0 for d, _, fs in os.walk(out) for f in fs):
                raise SystemExit(f"bench: {name} wrote no backup into {out}")
        return command(out), check, lambda: shutil.rmtree(out, ignore_errors=True)

    return Case(name, setup)


def dbkit_backup(ctx, url):
    return lambda out: Command([ctx.db_backup, "-q", "-u", url, "--dir", out, "create"])


def group(ctx, a, results):
    if not os.access(ctx.db_backup, os.X_OK):
        ctx.notes.append(f"backup rows not measured yet: {ctx.db_backup} is not built (db-backup has not landed)")
        log("backup: skipped, no db-backup binary")
        return
    runs = max(1, min(a.runs, 3))
    scratch = os.path.join(ctx.scratch, "backup")
    os.makedirs(scratch, exist_ok=True)
    # `--only backup` means both engines; `--only backup --only sqlite` just that one.
    engines = a.groups & {"sqlite", "postgres"} or {"sqlite", "postgres"}
    try:
        if "sqlite" in engines:
            src = sqlite_source(ctx.cache)
            cases = [
                case("cp", scratch, lambda out: Command(["cp", src.path, os.path.join(out, "copy.db")])),
                # cp leaves the copy in the page cache; a backup must reach the disk. For reference only.
                case("cp + sync", scratch, lambda out: Command(
                    ["sh", "-c", 'cp "$0" "$1" && sync "$1"', src.path, os.path.join(out, "copy.db")])),
                case("dbkit", scratch, dbkit_backup(ctx, src.url("sqlite:///"))),
                case("sqlite3 .backup", scratch,
                     lambda out: Command(["sqlite3", src.path, f".backup '{os.path.join(out, 'b.db')}'"])),
            ]
            log(f"backup: SQLite, {size_of(src) / 1e6:,.0f} MB ({runs} runs)")
            r = interleave(cases, runs, 1, log)
            judge(r, "dbkit", [("cp", 1 / 0.8, "≥ 0.8 × cp throughput"),
                               ("sqlite3 .backup", 1.0, "faster than sqlite3 .backup")])
            results[f"backup/sqlite/{size_of(src)}"] = r
        if "postgres" in engines:
            if not a.database_url:
                return
            server = databases.PostgresServer(a.database_url)
            try:
                src = pg_source(server)
                size = size_of(src)
                cases = [
                    case("pg_dump -Fc", scratch,
                         lambda out: Command(["pg_dump", "-Fc", "-f", os.path.join(out, "dump"), "-d", src.url()])),
                    case("dbkit", scratch, dbkit_backup(ctx, src.url())),
                ]
                log(f"backup: PostgreSQL, {size / 1e6:,.0f} MB ({runs} runs)")
                r = interleave(cases, runs, 1, log)
                judge(r, "dbkit", [("pg_dump -Fc", 1.05, "≤ 1.05 × pg_dump -Fc")])
                results[f"backup/postgres/{size}"] = r
            finally:
                server.cleanup()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def judge(r, tool, goals):
    """Marks the goals on the tool's row: its time against each reference times a factor."""
    texts, oks = [], []
    for ref, factor, text in goals:
        texts.append(text)
        oks.append(r[tool]["median_s"] <= r[ref]["median_s"] * factor if factor != 1.0
                   else r[tool]["median_s"] < r[ref]["median_s"])
    r[tool]["goal"] = "; ".join(texts)
    r[tool]["verdict"] = "met" if all(oks) else "**missed**"
