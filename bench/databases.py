"""Fresh databases for every run: new SQLite files, new PostgreSQL databases on the benchmark's server.

A database "at head" is made once per tool by the tool itself (a template), then copied for every run:
a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL. Each run still gets its own database, and
the copies cost nothing that is timed.
"""

import itertools
import os
import shutil
import subprocess
import urllib.parse

_counter = itertools.count()


class Sqlite:
    engine = "sqlite"

    def __init__(self, path):
        self.path = path

    def url(self, scheme="sqlite:///"):
        return scheme + self.path

    def drop(self):
        for suffix in ("", "-journal", "-wal", "-shm"):
            if os.path.exists(self.path + suffix):
                os.remove(self.path + suffix)

    def query(self, sql):
        return subprocess.run(
            ["sqlite3", self.path, sql], check=True, capture_output=True, text=True
        ).stdout.strip()


class Postgres:
    engine = "postgres"

    def __init__(self, server, name):
        self.server, self.name = server, name

    def url(self, scheme=None):
        u = urllib.parse.urlsplit(self.server.url)
        if scheme:
            u = u._replace(scheme=scheme)
        return urllib.parse.urlunsplit(u._replace(path="/" + self.name))

    def drop(self):
        self.server.admin(f'DROP DATABASE IF EXISTS "{self.name}"')

    def query(self, sql):
        return subprocess.run(
            ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", self.url(), "-c", sql],
            check=True, capture_output=True, text=True,
        ).stdout.strip()


class SqliteServer:
    """Files in a scratch directory on the same disk as the project (fsync costs are part of the work)."""

    engine = "sqlite"

    def __init__(self, scratch):
        self.dir = os.path.join(scratch, "sqlite")
        os.makedirs(self.dir, exist_ok=True)

    def empty(self):
        db = Sqlite(os.path.join(self.dir, f"run{next(_counter)}.db"))
        db.drop()
        return db

    def copy(self, template):
        db = self.empty()
        shutil.copyfile(template.path, db.path)
        return db

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class PostgresServer:
    engine = "postgres"

    def __init__(self, url):
        self.url = url
        self.prefix = f"dbkit_bench_{os.getpid()}_"

    def admin(self, sql):
        subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url, "-c", sql],
            check=True, capture_output=True, text=True,
        )

    def empty(self, template=None):
        db = Postgres(self, f"{self.prefix}{next(_counter)}")
        self.admin(f'CREATE DATABASE "{db.name}"' + (f' TEMPLATE "{template.name}"' if template else ""))
        return db

    def copy(self, template):
        return self.empty(template)

    def cleanup(self):
        out = subprocess.run(
            ["psql", "-X", "-At", "-d", self.url, "-c",
             f"SELECT datname FROM pg_database WHERE datname LIKE '{self.prefix}%'"],
            capture_output=True, text=True,
        ).stdout.split()
        for name in out:
            self.admin(f'DROP DATABASE IF EXISTS "{name}"')
