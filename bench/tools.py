"""The tools under test, each as the command lines it needs for every workload.

A method returns a Command; a workload named in `unsupported` has no such command (its cell reads "n/a").
"""

import os
from dataclasses import dataclass, field

import generate


@dataclass
class Command:
    argv: list
    env: dict = field(default_factory=dict)
    stdin: str = None
    cwd: str = None
    # The exit statuses that mean success (`check` exits non-zero when it finds changes, as it should here).
    ok: tuple = (0,)


class Floor:
    """The same SQL through the database's own client: what no tool can beat."""

    name = "floor"
    engines = ("sqlite", "postgres")

    def __init__(self, ctx):
        self.ctx = ctx

    def version(self):
        return self.ctx.versions.get("floor", "")

    def _script(self, db, project, which):
        path = os.path.join(project, which)
        if db.engine == "sqlite":
            return Command(["sqlite3", "-bail", db.path], stdin=path)
        return Command(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.url(), "-f", path])

    def upgrade(self, project, db):
        return self._script(db, project, "up.sql")

    def downgrade(self, project, db):
        return self._script(db, project, "down.sql")

    # There is nothing for the floor to skip: a no-op is measured against dbkit's own `current`.
    unsupported = ("noop",)

    def current(self, project, db):
        sql = "select * from alembic_version"
        if db.engine == "sqlite":
            return Command(["sqlite3", db.path, sql])
        return Command(["psql", "-X", "-At", "-d", db.url(), "-c", sql])

    # `current` reads the version table, which the floor's own database lacks; it reads dbkit's instead.
    current_template = "dbkit"


class RevisionTool:
    """A tool with the revision verbs (dbkit and Alembic share them): each is `_run` with its arguments."""

    def upgrade(self, project, db):
        return self._run(project, db, "upgrade", "head")

    def downgrade(self, project, db):
        return self._run(project, db, "downgrade", "base")

    def noop(self, project, db):
        return self.upgrade(project, db)

    def current(self, project, db):
        return self._run(project, db, "current")

    def heads(self, project):
        return self._run(project, None, "heads")

    def history(self, project):
        return self._run(project, None, "history")


class Dbkit(RevisionTool):
    name = "dbkit"
    engines = ("sqlite", "postgres")

    def __init__(self, ctx):
        self.bin = ctx.db_migrate

    def _run(self, project, db, *args):
        argv = [self.bin, "-c", os.path.join(project, "alembic.ini")]
        if db is not None:
            argv += ["-u", db.url("sqlite:///") if db.engine == "sqlite" else db.url()]
        return Command(argv + list(args))


class Alembic(RevisionTool):
    name = "alembic"
    engines = ("sqlite", "postgres")

    def __init__(self, ctx):
        self.bin = os.path.join(ctx.cache, "venv-alembic", "bin", "alembic")

    def _run(self, project, db, *args):
        env = {}
        if db is not None:
            env["BENCH_URL"] = db.url("sqlite:///") if db.engine == "sqlite" else db.url("postgresql+psycopg2")
        return Command([self.bin, "-c", os.path.join(project, "alembic.ini"), *args], env=env)


class Dbmate:
    """The Go binary from the npm package, called directly so that Node's start-up is not counted."""

    name = "dbmate"
    engines = ("sqlite", "postgres")

    def __init__(self, ctx):
        self.bin = ctx.dbmate_bin

    def _run(self, project, db, *args):
        url = "sqlite:" + db.path if db.engine == "sqlite" else db.url("postgres")
        return Command([self.bin, "--url", url, "--migrations-dir", project, "--no-dump-schema", *args])

    def upgrade(self, project, db):
        return self._run(project, db, "migrate")

    # dbmate rolls back one migration per call; a loop of N processes would not be the same workload.
    unsupported = ("downgrade",)

    def noop(self, project, db):
        return self.upgrade(project, db)

    def current(self, project, db):
        return self._run(project, db, "status")


class Sqlx:
    name = "sqlx"
    engines = ("sqlite", "postgres")

    def __init__(self, ctx):
        self.bin = ctx.sqlx_bin

    def _run(self, project, db, *args):
        url = f"sqlite://{db.path}?mode=rwc" if db.engine == "sqlite" else db.url()
        return Command([self.bin, "migrate", *args, "--source", project, "--database-url", url])

    def upgrade(self, project, db):
        return self._run(project, db, "run")

    def downgrade(self, project, db):
        return self._run(project, db, "revert", "--target-version", "0")

    def noop(self, project, db):
        return self.upgrade(project, db)

    def current(self, project, db):
        return self._run(project, db, "info")


ALL = [Floor, Dbkit, Alembic, Dbmate, Sqlx]
