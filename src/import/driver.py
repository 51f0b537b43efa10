"""dbkit's bridge to Alembic for `db-migrate import-alembic`, run with the project's own Python.

Alembic itself reads the history (so ids, parents, labels and dependencies are exactly what Alembic sees) and
renders each revision's SQL through the project's env.py in offline mode: one run upgrades base to the heads,
one downgrades the heads to base, every revision's function wrapped so that its SQL is told apart from the
version-table bookkeeping and a revision that cannot render offline is reported rather than ending the run.

  python driver.py render INI SECTION URL   -> one JSON document on stdout
  python driver.py revisions INI SECTION    -> the ids of every revision, one JSON document on stdout
  python driver.py online INI SECTION       -> reads "upgrade REV" lines on stdin, answers one JSON line each;
                                               the database URL comes from DBKIT_IMPORT_URL (never the arguments)
"""

import functools
import inspect
import io
import json
import os
import re
import sys
import traceback

MARK = "-- dbkit-import:"


def config(ini, section, url):
    from alembic.config import Config

    cfg = Config(ini, ini_section=section)
    # '%' would be read as interpolation by the ini parser Alembic wraps.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    # For env.py files that read the URL from the environment rather than the ini file.
    os.environ["DATABASE_URL"] = url
    os.environ["SQLALCHEMY_DATABASE_URI"] = url
    os.environ["SQLALCHEMY_DATABASE_URL"] = url
    return cfg


def as_list(value):
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def create_date(module):
    found = re.search(r"^\s*Create Date:\s*(.+?)\s*$", module.__doc__ or "", re.M)
    return found.group(1) if found else None


def message(module, sc):
    doc = (module.__doc__ or "").strip()
    first = re.split(r"\n\s*\n", doc, maxsplit=1)[0] if doc else ""
    lines = [l.strip() for l in first.splitlines() if l.strip()]
    # Alembic's template puts "Revision ID:" right under an empty message.
    lines = [l for l in lines if not re.match(r"(Revision ID|Revises|Create Date):", l)]
    return lines or ([sc.doc] if sc.doc else [])


def source(fn):
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        return None


def render(ini, section, url):
    from alembic import op
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory

    cfg = config(ini, section, url)
    buf = io.StringIO()
    cfg.output_buffer = buf
    script = ScriptDirectory.from_config(cfg)
    offline_guard(url, script.env_py_location)
    revisions = list(script.walk_revisions("base", "heads"))
    failures = {}
    for sc in revisions:
        for name in ("upgrade", "downgrade"):
            fn = getattr(sc.module, name, None)
            if fn is None:
                continue

            @functools.wraps(fn)
            def wrapped(*args, _fn=fn, _rev=sc.revision, _name=name, **kw):
                impl = op.get_context().impl
                impl.static_output(f"{MARK}start {_name} {_rev}")
                try:
                    _fn(*args, **kw)
                except Exception as e:  # what cannot run offline is reported, never fatal
                    failures[(_rev, _name)] = "".join(
                        traceback.format_exception_only(type(e), e)
                    ).strip()
                impl.static_output(f"{MARK}end {_name} {_rev}")

            setattr(sc.module, name, wrapped)
            sc.module.__dict__.setdefault("_dbkit_original", {})[name] = fn

    def run(fn, starting_rev, destination_rev):
        with EnvironmentContext(
            cfg,
            script,
            fn=fn,
            as_sql=True,
            starting_rev=starting_rev,
            destination_rev=destination_rev,
        ):
            script.run_env()

    # Offline, op.get_bind() is a mock connection without commit(). Revisions call it to end the migration's
    # transaction before what cannot run in one (CREATE INDEX CONCURRENTLY): rendered as the COMMIT it is, the
    # statements after it are seen as outside a transaction, as they run online.
    from sqlalchemy.engine.mock import MockConnection

    def commit(self):
        impl = op.get_context().impl
        if impl.transactional_ddl:
            impl.emit_commit()

    MockConnection.commit = commit

    heads = tuple(script.get_heads())
    run(lambda rev, ctx: script._upgrade_revs("heads", rev), None, "heads")
    if heads:
        run(lambda rev, ctx: script._downgrade_revs("base", rev), heads, "base")

    sql = {}
    current = None
    for line in buf.getvalue().splitlines(keepends=True):
        if line.startswith(MARK):
            word, name, rev = line[len(MARK):].split()
            current = (rev, name) if word == "start" else None
            if current:
                sql[current] = ""
        elif current:
            sql[current] += line

    out = []
    for sc in reversed(revisions):
        entry = {
            "id": sc.revision,
            "down": as_list(sc.down_revision),
            "branch_labels": list(getattr(sc, "_orig_branch_labels", None) or ()),
            "depends_on": as_list(sc.dependencies),
            "message": message(sc.module, sc),
            "create_date": create_date(sc.module),
            "path": os.path.abspath(sc.path),
        }
        for name, key in (("upgrade", "up"), ("downgrade", "down_sql")):
            original = sc.module.__dict__.get("_dbkit_original", {}).get(name)
            failure = failures.get((sc.revision, name))
            if original is None:
                entry[key] = None
                entry[key + "_error"] = f"the revision has no {name}() function"
            elif failure is not None:
                entry[key] = None
                entry[key + "_error"] = failure
                entry[key + "_python"] = source(original)
            else:
                entry[key] = sql.get((sc.revision, name), "")
        out.append(entry)
    return {"revisions": out}


def revision_ids(ini, section):
    """Every revision id of the history, without running env.py."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(Config(ini, ini_section=section))
    return {"revisions": [sc.revision for sc in script.walk_revisions("base", "heads")]}


def guard_configure(check):
    """Makes EnvironmentContext.configure call check(connection, url, dialect_name, options) first and raise the
    exception it returns, if any, instead of configuring."""
    from alembic.runtime.environment import EnvironmentContext

    configure = EnvironmentContext.configure

    def checked(self, connection=None, url=None, dialect_name=None, **kw):
        refusal = check(connection, url, dialect_name, kw)
        if refusal is not None:
            raise refusal
        return configure(self, connection=connection, url=url, dialect_name=dialect_name, **kw)

    EnvironmentContext.configure = checked


def offline_guard(given, env_py):
    """Refuses, before any revision renders, an env.py whose offline branch does not render with the URL it was
    given (one read from some other setting or variable, a fixed dialect_name, a connection, its own output
    file): the SQL would be for another dialect, or taken from a real database, or would not reach dbkit."""
    from sqlalchemy.engine import make_url

    expected = make_url(given)

    def check(connection, url, dialect_name, kw):
        if connection is not None:
            used = "a connection to " + connection.engine.url.render_as_string(hide_password=True)
        elif url is not None:
            got = make_url(url)
            used = None if same_database(got, expected) else got.render_as_string(hide_password=True)
        elif dialect_name is not None:
            used = None if dialect_name == expected.get_backend_name() else f"dialect_name={dialect_name!r}"
        else:
            used = None  # Alembic itself refuses a configure() with neither
        if used is None and kw.get("output_buffer") is not None:
            used = "an output_buffer of its own"
        if used is None:
            return None
        return Refusal(
            f"{env_py} renders the offline SQL with {used}, not with the URL it was given ({given}); "
            "make its offline branch pass config.get_main_option(\"sqlalchemy.url\") to "
            "context.configure(url=...), with no connection or output_buffer"
        )

    guard_configure(check)


def with_driver(url):
    """A postgresql:// URL with the driver that is installed: SQLAlchemy's default depends on its version."""
    import importlib.util

    scheme = "postgresql://"
    if url.startswith(scheme):
        for driver in ("psycopg2", "psycopg"):
            if importlib.util.find_spec(driver):
                return f"postgresql+{driver}://" + url[len(scheme):]
    return url


def same_database(a, b):
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        return os.path.abspath(a.database or "") == os.path.abspath(b.database or "")
    return (a.host, a.port or 5432, a.database) == (b.host, b.port or 5432, b.database)


def guard(url):
    """Refuses, before anything runs, an env.py that connects elsewhere than the scratch database it was given
    (a URL read from some other setting): the verification must never migrate a real database."""
    from sqlalchemy.engine import make_url

    expected = make_url(url)

    def check(connection, url, dialect_name, kw):
        if connection is not None:
            got = connection.engine.url
        elif url is not None:
            got = make_url(url)
        else:
            got = None
        if got is not None and same_database(got, expected):
            return None
        shown = got.render_as_string(hide_password=True) if got is not None else "no URL"
        return RuntimeError(
            f"env.py connects to {shown}, not to the scratch database it was given; nothing was run there. "
            "Make env.py take its URL from sqlalchemy.url or DATABASE_URL, or import with --no-verify"
        )

    guard_configure(check)


def online(ini, section):
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory

    url = with_driver(os.environ["DBKIT_IMPORT_URL"])
    guard(url)
    cfg = config(ini, section, url)
    # What `alembic upgrade` does, with the history read once: reading it again for every revision, as
    # `command.upgrade` does, makes a long history's replay quadratic. env.py still runs per upgrade, as it
    # does for each `alembic upgrade`.
    script = ScriptDirectory.from_config(cfg)

    def upgrade(target):
        with EnvironmentContext(
            cfg,
            script,
            fn=lambda rev, ctx: script._upgrade_revs(target, rev),
            as_sql=False,
            destination_rev=target,
        ):
            script.run_env()

    reply = sys.__stdout__
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            if words[0] != "upgrade" or len(words) != 2:
                raise ValueError(f"unknown request {line.strip()!r}")
            upgrade(words[1])
            answer = {"ok": True}
        except Exception as e:
            answer = {"error": "".join(traceback.format_exception_only(type(e), e)).strip()}
        reply.write(json.dumps(answer) + "\n")
        reply.flush()


class Refusal(Exception):
    """A problem the message says all about: no traceback with it."""


def require_alembic():
    """Alembic must be this Python's own package: a project's `alembic/` folder in the working directory would
    otherwise import as an empty namespace package and fail later with a confusing message."""
    try:
        import alembic
    except ImportError:
        alembic = None
    if getattr(alembic, "__file__", None) is None:
        raise Refusal(
            f"{sys.executable} has no Alembic installed; point --python at a virtualenv with Alembic "
            "(and what the project's env.py imports)"
        )


def main():
    # Whatever env.py or a revision prints goes to stderr; stdout carries the answer alone.
    answer = sys.stdout
    sys.stdout = sys.stderr
    mode = sys.argv[1]
    try:
        require_alembic()
        if mode == "render":
            result = render(sys.argv[2], sys.argv[3], sys.argv[4])
            answer.write(json.dumps(result))
        elif mode == "revisions":
            answer.write(json.dumps(revision_ids(sys.argv[2], sys.argv[3])))
        elif mode == "online":
            online(sys.argv[2], sys.argv[3])
        else:
            raise SystemExit(f"unknown mode {mode}")
    except Refusal as e:
        answer.write(json.dumps({"error": str(e)}))
        answer.flush()
        sys.exit(1)
    except Exception as e:
        traceback.print_exc()
        answer.write(json.dumps({"error": "".join(traceback.format_exception_only(type(e), e)).strip()}))
        answer.flush()
        sys.exit(1)


if __name__ == "__main__":
    main()
