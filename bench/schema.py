"""The schema benchmark: `check` and `revision --autogenerate` on a project of T tables reached through 2T
revisions, against `alembic check` and `alembic revision --autogenerate` on the same tables as SQLAlchemy models;
and `verify` (every revision up, down and up again), which Alembic has no equivalent of, on SQLite.

Odd revisions create a table (mixed column types, a primary key, foreign keys to earlier tables, a unique and a
check constraint, indexes); even ones alter an earlier table (add a column, add an index, drop a column, add a
unique index), so replaying the revisions is real work. The SQL runs unchanged on SQLite and PostgreSQL. The
declared schema (dbkit's `schema.sql`, Alembic's `models.py`) is the state the revisions give plus one column and
one index, so there is a change to find; `schema-head.sql` and `models_head.py` are that state exactly.

dbkit replays the revisions itself (no database); Alembic compares its models with a live database that was
upgraded to head beforehand, untimed.
"""

import os

import generate
from measure import Case, Failed, interleave, log, run
from report import ENGINES
from tools import Command

NOCHANGE_INI = "nochange.ini"
MESSAGE = "add archived_at"


class Table:
    """One table as the revisions leave it: column definitions in order, constraints and indexes."""

    def __init__(self, k):
        self.name = f"s_{k:03d}"
        t = self.name
        # NOT NULL on the key: SQLite reports a rowid alias as nullable without it, while SQLAlchemy's primary key
        # is NOT NULL, so `alembic check` would find a change in every table.
        self.columns = [
            ("id", "INTEGER NOT NULL PRIMARY KEY"),
            ("name", "VARCHAR(100) NOT NULL"),
            ("code", "VARCHAR(20) NOT NULL"),
            ("amount", "NUMERIC(12,2) NOT NULL DEFAULT 0"),
            ("active", "BOOLEAN NOT NULL DEFAULT FALSE"),
            ("created_at", "TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP"),
        ]
        self.constraints = [f"CONSTRAINT uq_{t}_code UNIQUE (code)", f"CONSTRAINT ck_{t}_amount CHECK (amount >= 0)"]
        self.fks = []  # (column, referenced table, on delete)
        self.indexes = {f"ix_{t}_name": (False, ["name"])}
        if k % 2 == 0:
            self.columns.append(("note", "TEXT"))
        for column, parent, action in (("parent_id", k - 1, "CASCADE"), ("owner_id", k // 3, "SET NULL")):
            if parent >= 1 and (column == "parent_id" or k % 3 == 0):
                self.columns.append((column, "INTEGER"))
                self.fks.append((column, f"s_{parent:03d}", action))
                self.indexes[f"ix_{t}_{column}"] = (False, [column])

    def create(self):
        fks = [f"CONSTRAINT fk_{self.name}_{c} FOREIGN KEY ({c}) REFERENCES {p} (id) ON DELETE {a}"
               for c, p, a in self.fks]
        body = [f"{c} {d}" for c, d in self.columns] + self.constraints + fks
        return [f"CREATE TABLE {self.name} (\n    " + ",\n    ".join(body) + "\n)"] + [
            self.create_index(i) for i in self.indexes]

    def create_index(self, name):
        unique, columns = self.indexes[name]
        return f"CREATE {'UNIQUE ' if unique else ''}INDEX {name} ON {self.name} ({', '.join(columns)})"

    def add_column(self, name, definition):
        self.columns.append((name, definition))
        t = self.name
        return [f"ALTER TABLE {t} ADD COLUMN {name} {definition}"], [f"ALTER TABLE {t} DROP COLUMN {name}"]

    def add_index(self, name, columns, unique=False):
        self.indexes[name] = (unique, columns)
        return [self.create_index(name)], [f"DROP INDEX {name}"]


def history(tables):
    """The revisions as (message, up statements, down statements), and the tables they leave."""
    model, revs = [], []
    for k in range(1, tables + 1):
        table = Table(k)
        model.append(table)
        revs.append((f"create {table.name}", table.create(), [f"DROP TABLE {table.name}"]))
        t = model[(k * 37 + 11) % k]
        kind = k % 4
        if kind == 0:
            up, down = t.add_column(f"extra_{k:03d}", "VARCHAR(50)")
        elif kind == 1:
            up, down = t.add_index(f"ix_{t.name}_r{k:03d}", ["code", "created_at"])
        elif kind == 2:
            up, down = t.add_column(f"score_{k:03d}", "INTEGER NOT NULL DEFAULT 0")
            more, less = t.add_index(f"ix_{t.name}_score_{k:03d}", [f"score_{k:03d}"])
            up, down = up + more, less + down
        elif any(c == "note" for c, _ in t.columns):
            # Nothing indexes or constrains `note`, so both engines can drop it in place.
            t.columns = [(c, d) for c, d in t.columns if c != "note"]
            up, down = [f"ALTER TABLE {t.name} DROP COLUMN note"], [f"ALTER TABLE {t.name} ADD COLUMN note TEXT"]
        else:
            up, down = t.add_index(f"ux_{t.name}_r{k:03d}", ["name", "code"], unique=True)
        revs.append((f"alter {t.name}", up, down))
    return revs, model


def changed(model):
    """The declared schema: the middle table gains a column and an index."""
    t = model[len(model) // 2]
    t.add_column("archived_at", "TIMESTAMP")
    t.add_index(f"ix_{t.name}_archived_at", ["archived_at"])


def schema_sql(model):
    return "".join(generate.sql_text(t.create()) + "\n" for t in model)


SA_TYPES = {"INTEGER": "Integer()", "VARCHAR": "String({})", "NUMERIC": "Numeric({})", "BOOLEAN": "Boolean()",
            "TIMESTAMP": "TIMESTAMP()", "TEXT": "Text()"}


def sa_column(name, definition):
    words = definition.split()
    base, _, size = words[0].partition("(")
    args = [repr(name), SA_TYPES[base].format(size.rstrip(")"))]
    if "PRIMARY" in words:
        args.append("primary_key=True")
    elif "NOT" in words:
        args.append("nullable=False")
    if "DEFAULT" in words:
        args.append(f"server_default=text({words[words.index('DEFAULT') + 1]!r})")
    return f"Column({', '.join(args)})"


def models_py(model):
    """The tables as SQLAlchemy Core `Table`s: the least an Alembic project imports (no ORM mapping)."""
    out = ["from sqlalchemy import (TIMESTAMP, Boolean, CheckConstraint, Column, ForeignKeyConstraint, Index, Integer,",
           "                        MetaData, Numeric, String, Table, Text, UniqueConstraint, text)", "",
           "metadata = MetaData()", ""]
    for t in model:
        items = [sa_column(c, d) for c, d in t.columns]
        items += [f"UniqueConstraint('code', name='uq_{t.name}_code')",
                  f"CheckConstraint('amount >= 0', name='ck_{t.name}_amount')"]
        items += [f"ForeignKeyConstraint([{c!r}], ['{p}.id'], name='fk_{t.name}_{c}', ondelete={a!r})"
                  for c, p, a in t.fks]
        items += [f"Index({name!r}, {', '.join(map(repr, cols))}, unique={unique})"
                  for name, (unique, cols) in t.indexes.items()]
        out.append(f"Table({t.name!r}, metadata,\n      " + ",\n      ".join(items) + ")\n")
    return "\n".join(out)


ALEMBIC_ENV = '''import importlib
import os
import sys

from alembic import context
from sqlalchemy import create_engine, pool

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
models = importlib.import_module(os.environ.get("BENCH_MODELS", "models"))
engine = create_engine(os.environ["BENCH_URL"], poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=models.metadata, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
'''

# Alembic's own template, less its comments: what `revision --autogenerate` fills in.
ALEMBIC_MAKO = '''"""${message}"""
from alembic import op
import sqlalchemy as sa

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade():
    ${upgrades if upgrades else "pass"}


def downgrade():
    ${downgrades if downgrades else "pass"}
'''


def write_projects(root, tables):
    """dbkit's and Alembic's projects for `tables` tables under root, written once."""
    stamp = os.path.join(root, ".complete")
    if os.path.exists(stamp):
        return
    revs, model = history(tables)
    head = schema_sql(model), models_py(model)
    changed(model)
    dbkit, alembic = (generate.fresh_dir(os.path.join(root, tool)) for tool in ("dbkit", "alembic"))
    generate.write(os.path.join(dbkit, "alembic.ini"), generate.DBKIT_INI)
    generate.write(os.path.join(dbkit, NOCHANGE_INI), generate.DBKIT_INI + "schema_file = %(here)s/schema-head.sql\n")
    generate.write(os.path.join(dbkit, "schema.sql"), schema_sql(model))
    generate.write(os.path.join(dbkit, "schema-head.sql"), head[0])
    generate.write(os.path.join(alembic, "alembic.ini"), generate.ALEMBIC_INI)
    generate.write(os.path.join(alembic, "env.py"), ALEMBIC_ENV)
    generate.write(os.path.join(alembic, "script.py.mako"), ALEMBIC_MAKO)
    generate.write(os.path.join(alembic, "models.py"), models_py(model))
    generate.write(os.path.join(alembic, "models_head.py"), head[1])
    for d in (dbkit, alembic):
        os.makedirs(os.path.join(d, "versions"))
    for i, (message, up, down) in enumerate(revs, start=1):
        rid, parent = generate.rev_id(i, "schema"), generate.rev_id(i - 1, "schema") if i > 1 else None
        generate.write(
            os.path.join(dbkit, "versions", f"{i:06d}_{rid}.sql"),
            f"-- {message}\n--\n-- Revision ID: {rid}\n-- Revises: {parent or ''}\n\n"
            f"-- migrate:up\n{generate.sql_text(up)}\n-- migrate:down\n{generate.sql_text(down)}",
        )
        ups = "".join(f"    op.execute({s!r})\n" for s in up)
        downs = "".join(f"    op.execute({s!r})\n" for s in down)
        generate.write(
            os.path.join(alembic, "versions", f"{rid}.py"),
            f'"""{message}"""\nfrom alembic import op\n\nrevision = {rid!r}\ndown_revision = {parent!r}\n'
            f"branch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n{ups}\n\ndef downgrade():\n{downs}",
        )
    generate.write(stamp, "")


def dbkit(ctx, project, db, *args, ini="alembic.ini", ok=(0,)):
    url = db.url("sqlite:///") if db.engine == "sqlite" else db.url()
    return Command([ctx.db_migrate, "-c", os.path.join(project, ini), "-u", url, *args], ok=ok)


def alembic(ctx, project, db, *args, models="models", ok=(0,)):
    url = db.url("sqlite:///") if db.engine == "sqlite" else db.url("postgresql+psycopg2")
    return Command([os.path.join(ctx.cache, "venv-alembic", "bin", "alembic"), "-c",
                    os.path.join(project, "alembic.ini"), *args], env={"BENCH_URL": url, "BENCH_MODELS": models},
                   ok=ok)


# `alembic check` exits 255 (its CommandError) when the models differ from the database.
ALEMBIC_DIFFERS = 255
DBKIT_DIFFERS = 5


def revisions(project):
    return {f for f in os.listdir(os.path.join(project, "versions")) if f.endswith((".sql", ".py"))}


def fixed(name, cmd):
    """A Case that runs the same command every round: the verbs measured here change nothing."""
    return Case(name, lambda: (cmd, lambda: None, lambda: None))


def writing(name, project, cmd):
    """A Case whose command writes one revision into versions/; the check wants it, the cleanup removes it and
    its bytecode (and only that: the other revisions' stays, as in a project in use)."""
    versions = os.path.join(project, "versions")
    before = revisions(project)

    def check():
        if len(revisions(project) - before) != 1:
            raise SystemExit(f"bench: {name} wrote no revision into {versions}")

    def cleanup():
        cache = os.path.join(versions, "__pycache__")
        for new in revisions(project) - before:
            os.remove(os.path.join(versions, new))
            stem = os.path.splitext(new)[0] + "."
            for pyc in os.listdir(cache) if os.path.isdir(cache) else ():
                if pyc.startswith(stem):
                    os.remove(os.path.join(cache, pyc))

    return Case(name, lambda: (cmd, check, cleanup))


def supported(ctx, project, db):
    """Whether dbkit's schema verbs run on db's engine: today PostgreSQL says it does not support them yet."""
    try:
        run(dbkit(ctx, project, db, "check", ok=(0, DBKIT_DIFFERS)))
        return True
    except Failed as e:
        if "not supported on PostgreSQL" in str(e):
            return False
        raise


def group(ctx, a, server, results):
    tables = a.schema_tables
    root = os.path.join(ctx.cache, "projects", f"schema-{tables}")
    write_projects(root, tables)
    dk, al = os.path.join(root, "dbkit"), os.path.join(root, "alembic")
    # dbkit reads no database here; the URL only names the engine. Alembic's is upgraded to head, untimed.
    db = server.empty()
    try:
        with_dbkit = supported(ctx, dk, db)
        if not with_dbkit:
            ctx.notes.append(f"schema rows on {ENGINES[server.engine]}: dbkit's `check` says its schema verbs are not "
                             "supported there yet, so dbkit's are skipped")
        with_alembic = any(t.name == "alembic" for t in ctx.tools)
        if with_alembic:
            run(alembic(ctx, al, db, "upgrade", "head"))
        autogenerate = ("revision", "--autogenerate", "-m", MESSAGE)
        rows = {
            "check": [(with_dbkit, fixed("dbkit", dbkit(ctx, dk, db, "check", ok=(DBKIT_DIFFERS,)))),
                      (with_alembic, fixed("alembic", alembic(ctx, al, db, "check", ok=(ALEMBIC_DIFFERS,))))],
            "check-nochange": [(with_dbkit, fixed("dbkit", dbkit(ctx, dk, db, "check", ini=NOCHANGE_INI))),
                               (with_alembic, fixed("alembic", alembic(ctx, al, db, "check", models="models_head")))],
            "autogenerate": [(with_dbkit, writing("dbkit", dk, dbkit(ctx, dk, db, *autogenerate))),
                             (with_alembic, writing("alembic", al, alembic(ctx, al, db, *autogenerate)))],
            # Every revision up, down and up again on a scratch database, with rows seeded on SQLite. Alembic has
            # no equivalent command, so the row is dbkit's alone; SQLite only, where the goal is set.
            "verify": [(with_dbkit and server.engine == "sqlite", fixed("dbkit", dbkit(ctx, dk, db, "verify")))],
        }
        for kind, cases in rows.items():
            cases = [case for wanted, case in cases if wanted]
            if cases:
                log(f"schema: {server.engine} {kind}, {tables} tables ({a.runs} runs)")
                results[f"schema/{server.engine}/{kind}/{tables}"] = interleave(cases, a.runs, a.warmup, log)
    finally:
        db.drop()
