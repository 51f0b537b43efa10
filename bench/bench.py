#!/usr/bin/env python3
"""dbkit's benchmark: migration workloads on SQLite and PostgreSQL against the floor and the peers.

    python3 bench/bench.py                 # everything (make bench)
    python3 bench/bench.py --smoke         # tiny N, dbkit and the floor, one run (make bench-smoke)
    python3 bench/bench.py --only sqlite   # one engine, or: postgres, graph, backup, schema

Every figure is the median of --runs runs after --warmup rounds; the tools of a workload run interleaved,
round by round, each on a fresh database. The table goes to stdout and into bench/RESULTS.md.
"""

import argparse
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import backup  # noqa: E402
import databases  # noqa: E402
import generate  # noqa: E402
import machine  # noqa: E402
import peers  # noqa: E402
import report  # noqa: E402
import schema  # noqa: E402
import tools  # noqa: E402
from measure import Case, interleave, log, run  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def arguments():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny N, dbkit and the floor only, one run")
    p.add_argument("--only", action="append", choices=["sqlite", "postgres", "graph", "backup", "schema"],
                   help="run only these groups (repeatable)")
    p.add_argument("--runs", type=int, default=7, help="measured runs per figure (default 7)")
    p.add_argument("--big-runs", type=int, default=3, help="measured runs for N=1000 (default 3)")
    p.add_argument("--warmup", type=int, default=1, help="discarded rounds before measuring (default 1)")
    p.add_argument("--sizes", default="200,1000", help="revision counts for upgrade and downgrade")
    p.add_argument("--graph-sizes", default="1000,10000,100000", help="revision counts for heads and history")
    p.add_argument("--schema-tables", type=int, default=100,
                   help="tables of the schema group's project (reached through twice as many revisions)")
    p.add_argument("--tools", default="floor,dbkit,alembic,dbmate,sqlx", help="tools to run")
    p.add_argument("--workloads", default="upgrade,downgrade,noop,current",
                   help="migration workloads to run on each engine")
    p.add_argument("--no-sqlx-build", action="store_true", help="skip sqlx-cli when it is not built yet")
    p.add_argument("--db-migrate", default=os.environ.get("DB_MIGRATE", os.path.join(ROOT, "target/release/db-migrate")))
    p.add_argument("--db-backup", default=os.environ.get("DB_BACKUP", os.path.join(ROOT, "target/release/db-backup")))
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL"),
                   help="a PostgreSQL server where the harness may create and drop databases")
    p.add_argument("--cache", default=os.path.join(HERE, ".cache"))
    p.add_argument("--results", default=None, help="where the Markdown goes (default bench/RESULTS.md)")
    a = p.parse_args()
    if a.smoke:
        a.runs, a.big_runs, a.warmup = 1, 1, 0
        a.sizes, a.graph_sizes, a.tools, a.schema_tables = "10", "100", "floor,dbkit", 10
        a.results = a.results or os.path.join(a.cache, "smoke.md")
    a.results = a.results or os.path.join(HERE, "RESULTS.md")
    a.sizes = [int(x) for x in a.sizes.split(",")]
    a.graph_sizes = [int(x) for x in a.graph_sizes.split(",")]
    a.tools = a.tools.split(",")
    a.workloads = a.workloads.split(",")
    a.groups = set(a.only or ["sqlite", "postgres", "graph", "backup", "schema"])
    return a


class Context:
    """Paths, installed tools and their versions."""

    def __init__(self, a):
        self.cache = os.path.abspath(a.cache)
        os.makedirs(self.cache, exist_ok=True)
        self.scratch = os.path.join(self.cache, "scratch")
        self.db_migrate = os.path.abspath(a.db_migrate)
        self.db_backup = os.path.abspath(a.db_backup)
        self.versions = {}
        self.notes = []
        peers.apt_clients()
        self.versions["floor"] = peers.clients()
        if not os.access(self.db_migrate, os.X_OK):
            sys.exit(f"bench: {self.db_migrate} is missing; build it first (make build)")
        self.versions["dbkit"] = peers.output([self.db_migrate, "--version"])
        self.tools = []
        for cls in tools.ALL:
            if cls.name not in a.tools:
                continue
            if cls.name == "alembic":
                self.versions["alembic"] = peers.alembic(self.cache)
            elif cls.name == "dbmate":
                self.dbmate_bin, self.versions["dbmate"] = peers.dbmate(self.cache)
            elif cls.name == "sqlx":
                self.sqlx_bin, self.versions["sqlx"] = peers.sqlx(self.cache, not a.no_sqlx_build)
                if self.sqlx_bin is None:
                    self.notes.append(f"sqlx-cli: {self.versions['sqlx']}")
                    continue
            self.tools.append(cls(self))


def count_tables(db):
    if db.engine == "sqlite":
        sql = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 't\\_%' ESCAPE '\\'"
    else:
        sql = ("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' "
               "AND table_name LIKE 't\\_%'")
    return int(db.query(sql))


def expect_tables(db, n, tool):
    def check():
        found = count_tables(db)
        if found != n:
            raise SystemExit(f"bench: {tool} left {found} tables in {db.url()}, expected {n}")
    return check


class Templates:
    """One database at head per tool, engine and size, made by the tool itself, copied for every run."""

    def __init__(self, ctx, server):
        self.ctx, self.server, self.made = ctx, server, {}

    def get(self, tool, n):
        key = (tool.name, n)
        if key not in self.made:
            db = self.server.empty()
            run(tool.upgrade(generate.project(self.ctx.cache, tool.name, n), db))
            expect_tables(db, n, tool.name)()
            self.made[key] = db
        return self.made[key]


def migration_cases(ctx, server, templates, kind, n):
    cases = []
    for tool in ctx.tools:
        if server.engine not in tool.engines:
            continue
        if kind in getattr(tool, "unsupported", ()):
            continue
        project = generate.project(ctx.cache, tool.name, n)

        def setup(tool=tool, project=project):
            if kind == "upgrade":
                db, expected = server.empty(), n
            else:
                source = tool
                if kind == "current" and getattr(tool, "current_template", None):
                    source = next(t for t in ctx.tools if t.name == tool.current_template)
                db = server.copy(templates.get(source, n))
                expected = 0 if kind == "downgrade" else n
            return getattr(tool, kind)(project, db), expect_tables(db, expected, tool.name), db.drop

        cases.append(Case(tool.name, setup))
    return cases


def engine_group(ctx, a, server, results):
    templates = Templates(ctx, server)
    plan = []
    for n in a.sizes:
        plan += [("upgrade", n), ("downgrade", n)]
    plan += [("noop", a.sizes[0]), ("current", a.sizes[0])]
    for kind, n in plan:
        if kind not in a.workloads:
            continue
        runs = a.big_runs if n >= 1000 else a.runs
        log(f"{server.engine}: {kind} N={n} ({runs} runs)")
        cases = migration_cases(ctx, server, templates, kind, n)
        results[f"{server.engine}/{kind}/{n}"] = interleave(cases, runs, a.warmup, log)


def graph_group(ctx, a, results):
    for n in a.graph_sizes:
        for verb in ("heads", "history"):
            cases = []
            for tool in ctx.tools:
                if not hasattr(tool, verb) or (tool.name != "dbkit" and n > 10000):
                    continue
                project = generate.project(ctx.cache, tool.name, n, shape="graph")
                cmd = getattr(tool, verb)(project)
                cases.append(Case(tool.name, lambda cmd=cmd: (cmd, lambda: None, lambda: None)))
            log(f"graph: {verb} on {n} revisions")
            results[f"graph/{verb}/{n}"] = interleave(cases, a.runs, a.warmup, log)


def schema_group(ctx, a, results, servers):
    """`--only schema` means both engines (PostgreSQL when there is a server); `--only schema --only sqlite`
    just that one."""
    engines = a.groups & {"sqlite", "postgres"} or {"sqlite", "postgres"}
    if "sqlite" in engines:
        servers.append(databases.SqliteServer(ctx.scratch))
        schema.group(ctx, a, servers[-1], results)
    if "postgres" in engines:
        if not a.database_url:
            ctx.notes.append("schema rows on PostgreSQL not measured: no BENCH_DATABASE_URL or TEST_DATABASE_URL")
            return
        servers.append(databases.PostgresServer(a.database_url))
        schema.group(ctx, a, servers[-1], results)


def main():
    a = arguments()
    ctx = Context(a)
    started = datetime.datetime.now(datetime.timezone.utc)
    results = {}
    servers = []
    try:
        if "sqlite" in a.groups:
            servers.append(databases.SqliteServer(ctx.scratch))
            engine_group(ctx, a, servers[-1], results)
        if "postgres" in a.groups:
            if not a.database_url:
                sys.exit("bench: set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL server, "
                         "or pass --only sqlite")
            servers.append(databases.PostgresServer(a.database_url))
            engine_group(ctx, a, servers[-1], results)
        if "graph" in a.groups:
            graph_group(ctx, a, results)
        if "backup" in a.groups and not a.smoke:
            backup.group(ctx, a, results)
        if "schema" in a.groups:
            schema_group(ctx, a, results, servers)
    finally:
        for s in servers:
            s.cleanup()
    meta = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine.describe(ctx.scratch if os.path.exists(ctx.scratch) else ctx.cache),
        "versions": ctx.versions,
        "notes": ctx.notes,
        "runs": a.runs, "big_runs": a.big_runs, "warmup": a.warmup,
        "smoke": a.smoke,
    }
    data = os.path.splitext(a.results)[0] + ".json"
    if a.only and not a.smoke:
        meta, results = report.carry_over(data, meta, results, a.groups)
    text = report.markdown(meta, results)
    print(text)
    report.write(a.results, text)
    with open(data, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)
    log(f"bench: wrote {a.results}")


if __name__ == "__main__":
    main()
