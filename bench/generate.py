"""The benchmark's migrations, written once per size in each tool's own format.

Every tool gets the same SQL: revision i creates table t_i with several columns and an index and inserts a few
rows; every fifth revision also adds a column to the previous revision's table. The SQL is plain enough to run
unchanged on SQLite and PostgreSQL, so one set of files serves both engines.
"""

import hashlib
import os
import shutil

ALTER_EVERY = 5


def rev_id(i, salt="rev"):
    return hashlib.sha1(f"{salt}{i}".encode()).hexdigest()[:12]


def up_sql(i):
    t = f"t_{i:06d}"
    stmts = [
        f"CREATE TABLE {t} (\n"
        "    id INTEGER PRIMARY KEY,\n"
        "    name VARCHAR(100) NOT NULL,\n"
        "    email VARCHAR(200),\n"
        "    score INTEGER NOT NULL DEFAULT 0,\n"
        "    note TEXT,\n"
        "    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP\n"
        ")",
        f"CREATE INDEX ix_{t}_name ON {t} (name)",
    ]
    for k, who in enumerate(("alice", "bob", "carol"), start=1):
        stmts.append(
            f"INSERT INTO {t} (id, name, email, score) VALUES ({k}, '{who}', '{who}@example.com', {k * i})"
        )
    if i > 1 and i % ALTER_EVERY == 0:
        stmts.append(f"ALTER TABLE t_{i - 1:06d} ADD COLUMN extra_{i:06d} VARCHAR(50)")
    return stmts


def down_sql(i):
    t = f"t_{i:06d}"
    stmts = []
    if i > 1 and i % ALTER_EVERY == 0:
        stmts.append(f"ALTER TABLE t_{i - 1:06d} DROP COLUMN extra_{i:06d}")
    stmts += [f"DROP INDEX ix_{t}_name", f"DROP TABLE {t}"]
    return stmts


def sql_text(stmts):
    return "".join(s + ";\n" for s in stmts)


def fresh_dir(path):
    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(path)
    return path


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


# A linear chain of revisions: (id, parents, sql index).
def chain(n):
    return [(rev_id(i), [rev_id(i - 1)] if i > 1 else [], i) for i in range(1, n + 1)]


def graph(n):
    """A chain of n revisions in which every tenth starts a two-way branch that the next one merges."""
    revs, prev = [], []
    i = 1
    while i <= n:
        if i % 10 == 2 and i + 2 <= n:
            a, b, m = rev_id(i, "g"), rev_id(i + 1, "g"), rev_id(i + 2, "g")
            revs += [(a, prev, i), (b, prev, i + 1), (m, [a, b], i + 2)]
            prev, i = [m], i + 3
        else:
            r = rev_id(i, "g")
            revs.append((r, prev, i))
            prev, i = [r], i + 1
    return revs


DBKIT_INI = """[alembic]
script_location = %(here)s
"""


def dbkit(root, revs):
    versions = os.path.join(fresh_dir(root), "versions")
    os.makedirs(versions)
    write(os.path.join(root, "alembic.ini"), DBKIT_INI)
    for rid, parents, i in revs:
        write(
            os.path.join(versions, f"{i:06d}_{rid}_create_t_{i:06d}.sql"),
            f"-- create t_{i:06d}\n--\n-- Revision ID: {rid}\n-- Revises: {', '.join(parents)}\n"
            f"-- Create Date: 2026-01-01 00:00:00.000000\n\n"
            f"-- migrate:up\n{sql_text(up_sql(i))}\n-- migrate:down\n{sql_text(down_sql(i))}",
        )


ALEMBIC_INI = """[alembic]
script_location = %(here)s
"""

# Per-revision transactions, as every other tool here and the floor run them.
ALEMBIC_ENV = '''import os
from alembic import context
from sqlalchemy import create_engine, pool

engine = create_engine(os.environ["BENCH_URL"], poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
'''

ALEMBIC_MAKO = '''"""${message}"""
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
'''


def alembic(root, revs):
    versions = os.path.join(fresh_dir(root), "versions")
    os.makedirs(versions)
    write(os.path.join(root, "alembic.ini"), ALEMBIC_INI)
    write(os.path.join(root, "env.py"), ALEMBIC_ENV)
    write(os.path.join(root, "script.py.mako"), ALEMBIC_MAKO)
    for rid, parents, i in revs:
        down = repr(tuple(parents)) if len(parents) > 1 else repr(parents[0] if parents else None)
        ups = "".join(f"    op.execute({s!r})\n" for s in up_sql(i))
        downs = "".join(f"    op.execute({s!r})\n" for s in down_sql(i))
        write(
            os.path.join(versions, f"{rid}_create_t_{i:06d}.py"),
            f'"""create t_{i:06d}\n\nRevision ID: {rid}\nRevises: {", ".join(parents)}\n'
            f'Create Date: 2026-01-01 00:00:00.000000\n"""\nfrom alembic import op\n\n'
            f"revision = {rid!r}\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\n"
            f"def upgrade():\n{ups}\n\ndef downgrade():\n{downs}",
        )


def dbmate(root, revs):
    d = fresh_dir(root)
    for _, _, i in revs:
        write(
            os.path.join(d, f"{20260000000000 + i}_create_t_{i:06d}.sql"),
            f"-- migrate:up\n{sql_text(up_sql(i))}\n-- migrate:down\n{sql_text(down_sql(i))}",
        )


def sqlx(root, revs):
    d = fresh_dir(root)
    for _, _, i in revs:
        write(os.path.join(d, f"{i}_create_t_{i:06d}.up.sql"), sql_text(up_sql(i)))
        write(os.path.join(d, f"{i}_create_t_{i:06d}.down.sql"), sql_text(down_sql(i)))


def floor(root, revs):
    """Plain scripts: one BEGIN/COMMIT per revision, no bookkeeping."""
    d = fresh_dir(root)
    wrap = lambda stmts: "BEGIN;\n" + sql_text(stmts) + "COMMIT;\n"
    write(os.path.join(d, "up.sql"), "".join(wrap(up_sql(i)) for _, _, i in revs))
    write(os.path.join(d, "down.sql"), "".join(wrap(down_sql(i)) for _, _, i in reversed(revs)))


FORMATS = {"dbkit": dbkit, "alembic": alembic, "dbmate": dbmate, "sqlx": sqlx, "floor": floor}


def project(cache, tool, n, shape="chain"):
    """The directory holding `tool`'s files for n revisions, written on first use."""
    root = os.path.join(cache, "projects", f"{shape}-{n}", tool)
    stamp = os.path.join(root, ".complete")
    if not os.path.exists(stamp):
        FORMATS[tool](root, chain(n) if shape == "chain" else graph(n))
        write(stamp, "")
    return root
