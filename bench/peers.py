"""What the benchmark needs installed, fetched from the registries on first use and cached in bench/.cache/.

Database clients come from Debian's packages; Alembic from PyPI into a venv; dbmate from npm; sqlx-cli is
built by cargo (a long build, niced, skipped with a note when --no-sqlx-build says so).
"""

import glob
import os
import shutil
import subprocess

from measure import log

ALEMBIC_SPEC = os.environ.get("BENCH_ALEMBIC_SPEC", "alembic==1.20.1")
PSYCOPG_SPEC = os.environ.get("BENCH_PSYCOPG_SPEC", "psycopg2-binary==2.9.13")
SQLALCHEMY_SPEC = os.environ.get("BENCH_SQLALCHEMY_SPEC", "SQLAlchemy==2.1.9")
DBMATE_SPEC = os.environ.get("BENCH_DBMATE_SPEC", "dbmate@2.36.0")
SQLX_VERSION = os.environ.get("BENCH_SQLX_VERSION", "0.8.6")


def output(argv):
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()


def apt_clients():
    """sqlite3, psql, pg_dump and /usr/bin/time; apt-get only when one is missing (a fresh Debian machine)."""
    wanted = (("sqlite3", "sqlite3"), ("psql", "postgresql-client"), ("pg_dump", "postgresql-client"),
              ("/usr/bin/time", "time"))
    missing = [pkg for binary, pkg in wanted if shutil.which(binary) is None]
    if not missing:
        return
    log(f"installing {' '.join(sorted(set(missing)))} from Debian's packages")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", *sorted(set(missing))], check=True, env=env)


def alembic(cache):
    venv = os.path.join(cache, "venv-alembic")
    if not os.path.exists(os.path.join(venv, "bin", "alembic")):
        log(f"installing {ALEMBIC_SPEC} and {PSYCOPG_SPEC} from PyPI into {venv}")
        subprocess.run(["python3", "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "--quiet", "--disable-pip-version-check",
                        ALEMBIC_SPEC, SQLALCHEMY_SPEC, PSYCOPG_SPEC], check=True)
    py = os.path.join(venv, "bin", "python")
    return output([py, "-c", "import alembic, sqlalchemy, psycopg2, sqlite3, sys; print("
                   "f'alembic {alembic.__version__}, SQLAlchemy {sqlalchemy.__version__}, "
                   "psycopg2 {psycopg2.__version__.split()[0]}, Python {sys.version.split()[0]}, "
                   "SQLite {sqlite3.sqlite_version}')"])


def dbmate(cache):
    prefix = os.path.join(cache, "npm")
    pattern = os.path.join(prefix, "node_modules", "@dbmate", "*", "bin", "dbmate")
    if not glob.glob(pattern):
        log(f"installing {DBMATE_SPEC} from npm into {prefix}")
        subprocess.run(["npm", "install", "--silent", "--no-save", "--prefix", prefix, DBMATE_SPEC], check=True)
    binary = glob.glob(pattern)[0]
    return binary, output([binary, "--version"])


def sqlx(cache, build):
    root = os.path.join(cache, "sqlx-cli")
    binary = os.path.join(root, "bin", "sqlx")
    if not os.path.exists(binary):
        if not build:
            return None, "not installed (build skipped: --no-sqlx-build)"
        log(f"building sqlx-cli {SQLX_VERSION} with cargo install (niced; several minutes, once)")
        env = {k: v for k, v in os.environ.items() if k != "CARGO_TARGET_DIR"}
        subprocess.run(["nice", "-n", "19", "cargo", "install", "--locked", "--root", root,
                        "sqlx-cli", "--version", SQLX_VERSION,
                        "--no-default-features", "--features", "sqlite,postgres,rustls"], check=True, env=env)
    return binary, output([binary, "--version"])


def clients():
    sqlite = output(["sqlite3", "--version"]).split()[0]
    psql = output(["psql", "--version"])
    return f"sqlite3 {sqlite}; {psql}"
