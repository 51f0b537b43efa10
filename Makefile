# dbkit: build, test, and the database lifecycle targets teams call from deploy runbooks.
# Every db-* target builds the binaries first when a source file changed.

CARGO        ?= cargo
# Paths are relative to this file, so `make -f path/to/Makefile` works from any directory.
ROOT         := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
RELEASE      := $(ROOT)target/release
DIST         := $(ROOT)target/dist
BINARIES     := $(RELEASE)/db-migrate $(RELEASE)/db-init $(RELEASE)/db-backup
DB_MIGRATE   ?= $(RELEASE)/db-migrate
DB_INIT      ?= $(RELEASE)/db-init
DB_BACKUP    ?= $(RELEASE)/db-backup
SOURCES      := $(shell find $(ROOT)src $(ROOT)bins $(ROOT)vendor -name '*.rs' 2>/dev/null) $(ROOT)Cargo.toml $(wildcard $(ROOT)Cargo.lock)
ALEMBIC_VENV ?= $(ROOT).venv-alembic
OPTUNA_VENV  ?= $(ROOT).venv-optuna

# The message reaches the binary through the environment, unexpanded, so quotes, $ and backticks survive intact.
override MESSAGE := $(value MESSAGE)
export MESSAGE
REV ?=
FILE ?= latest
LABEL ?=
# The binaries and the wait reach scripts/deploy.sh through the environment.
export DB_MIGRATE DB_INIT DB_BACKUP

.PHONY: build dist test test-deps lint bench bench-smoke db-init db-upgrade db-downgrade db-current db-history db-heads db-stamp db-create \
	db-merge db-validate db-ensure db-check db-drift db-lint db-verify db-schema db-backup db-restore db-reset deploy clean

build: $(BINARIES)

## The binaries to ship (target/dist/): release with the bundled SQLite at full optimisation.
dist:
	cd $(ROOT) && $(CARGO) build --profile dist --locked --bins

$(BINARIES) &: $(SOURCES)
	cd $(ROOT) && $(CARGO) build --release --locked --bins
	@touch -c $(BINARIES)

## Tests: formatting, lints, then every unit and integration test (real SQLite files, a real PostgreSQL server,
## and real Python Alembic for the compatibility tests). Lints and tests use the release profile, so they share
## every compiled dependency and build script (the bundled SQLite's C code above all) with the binaries that
## `make db-upgrade` built. Without TEST_DATABASE_URL,
## scripts/test-postgres.sh runs them against a private, throwaway PostgreSQL server (installing the server
## package only where there is none), so the machine's own server is never touched.
TEST_CMD = env ALEMBIC_BIN=$(ALEMBIC_VENV)/bin/alembic OPTUNA_VENV=$(OPTUNA_VENV) $(CARGO) test --release --locked $(TEST_ARGS)

test: test-deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release --locked --all-targets -- -D warnings
	$(call with_postgres,$(TEST_CMD))

# Runs a command against TEST_DATABASE_URL when it is set, else against a private server started for it.
with_postgres = @if [ -n "$$TEST_DATABASE_URL" ]; then $(1); else $(ROOT)scripts/test-postgres.sh $(1); fi

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release --locked --all-targets -- -D warnings

## Benchmark (bench/bench.py): dbkit against the database's own client and the peer tools, which it installs
## into bench/.cache/ on first use. `make bench` writes bench/RESULTS.md; BENCH_ARGS passes options through
## (e.g. BENCH_ARGS="--only sqlite --runs 3"). bench-smoke is the quick check CI runs: tiny N, dbkit and the floor.
bench: dist
	python3 $(ROOT)bench/bench.py --db-migrate $(DIST)/db-migrate --db-backup $(DIST)/db-backup $(BENCH_ARGS)

bench-smoke: $(DB_MIGRATE)
	$(call with_postgres,python3 $(ROOT)bench/bench.py --smoke --db-migrate $(DB_MIGRATE) $(BENCH_ARGS))

## Python Alembic (from PyPI, in local venvs) for the tests that hand a database back and forth with it, and a
## published Alembic history for the import test.
test-deps: $(ALEMBIC_VENV)/bin/alembic $(OPTUNA_VENV)/bin/optuna

$(ALEMBIC_VENV)/bin/alembic:
	python3 -m venv $(ALEMBIC_VENV) || { command -v apt-get >/dev/null && apt-get install -y -qq python3-venv \
	  && rm -rf $(ALEMBIC_VENV) && python3 -m venv $(ALEMBIC_VENV); }
	$(ALEMBIC_VENV)/bin/pip install --quiet --disable-pip-version-check 'alembic>=1.13,<2' 'psycopg2-binary>=2.9'

## A real, published Alembic history for import-alembic's test: optuna's (its PyPI package ships the revisions
## and its own env.py, which imports optuna, so the package is installed with its dependencies: about 25 MB of
## wheels, numpy the largest; a small package whose env.py and revisions run offline as published). In its own
## virtualenv, pinned with the Alembic and SQLAlchemy that render it, so the test's expectations (which parts
## convert, and the errors of those that do not) stay those of this exact history.
$(OPTUNA_VENV)/bin/optuna:
	python3 -m venv $(OPTUNA_VENV) || { command -v apt-get >/dev/null && apt-get install -y -qq python3-venv \
	  && rm -rf $(OPTUNA_VENV) && python3 -m venv $(OPTUNA_VENV); }
	$(OPTUNA_VENV)/bin/pip install --quiet --disable-pip-version-check 'optuna==5.1.0' 'alembic==1.20.1' \
	  'SQLAlchemy==2.1.9' 'psycopg2-binary>=2.9'

## Create the database if missing (PostgreSQL: with its extensions), wait for the server, report what is there.
db-init: $(DB_INIT)
	$(DB_INIT)

db-upgrade: $(DB_MIGRATE)
	$(DB_MIGRATE) upgrade $(or $(REV),head)

db-downgrade: $(DB_MIGRATE)
	$(DB_MIGRATE) downgrade $(or $(REV),-1)

db-current: $(DB_MIGRATE)
	$(DB_MIGRATE) current

db-history: $(DB_MIGRATE)
	$(DB_MIGRATE) history --verbose

db-heads: $(DB_MIGRATE)
	$(DB_MIGRATE) heads

db-stamp: $(DB_MIGRATE)
	@test -n "$(REV)" || { echo 'usage: make db-stamp REV=<revision>' >&2; exit 2; }
	$(DB_MIGRATE) stamp $(REV)

## With a schema file (alembic/schema.sql) the new revision holds the SQL from the revisions to it.
db-create: $(DB_MIGRATE)
	@test -n "$$MESSAGE" || { echo 'usage: make db-create MESSAGE="what the revision does"' >&2; exit 2; }
	$(DB_MIGRATE) create "$$MESSAGE"

db-merge: $(DB_MIGRATE)
	$(DB_MIGRATE) merge heads -m "$${MESSAGE:-merge heads}"

db-validate: $(DB_MIGRATE)
	$(DB_MIGRATE) validate

## Ready on start: create the database, or recognise one made before migrations by its schema, then upgrade.
db-ensure: $(DB_MIGRATE)
	$(DB_MIGRATE) ensure

## Exit 5 (with the changes) unless the revisions give the declared schema; needs no live database.
db-check: $(DB_MIGRATE)
	$(DB_MIGRATE) check

## Exit 6 (with the differences) unless the database's schema is the one its recorded revisions give; only reads.
db-drift: $(DB_MIGRATE)
	$(DB_MIGRATE) drift

## Exit 7 (naming the revision, the step and what differs) unless every revision's up, down, up again gives the
## schemas it should on a scratch database; needs no live database.
db-verify: $(DB_MIGRATE)
	$(DB_MIGRATE) verify

## Exit 8 (with the findings) when the revisions' up sections hold an operation that locks, rewrites or loses data
## on a live database; warnings are printed and pass. Needs no database.
db-lint: $(DB_MIGRATE)
	$(DB_MIGRATE) lint

## The schema at head as SQL, on stdout (never a file, so a hand-written schema file is not overwritten by
## accident); `$(DB_MIGRATE) schema dump -o FILE` writes one.
db-schema: $(DB_MIGRATE)
	$(DB_MIGRATE) schema dump

## Backups: make db-backup [LABEL=...]; make db-restore [FILE=latest] [YES=1] (asks first on a terminal).
db-backup: $(DB_BACKUP)
	$(DB_BACKUP) create $(if $(LABEL),--label $(LABEL))

db-restore: $(DB_BACKUP)
	$(DB_BACKUP) restore $(FILE) $(if $(YES),--yes)

## Development reset: back up, downgrade to base, upgrade to head.
db-reset: $(DB_BACKUP) $(DB_MIGRATE)
	$(DB_BACKUP) create --label pre-reset
	$(DB_MIGRATE) downgrade base
	$(DB_MIGRATE) upgrade head

## Production deploy: init --wait, back up, migrate, verify; restore on failure (scripts/deploy.sh).
deploy: $(DB_INIT) $(DB_BACKUP) $(DB_MIGRATE)
	$(ROOT)scripts/deploy.sh

clean:
	$(CARGO) clean
	rm -rf $(ALEMBIC_VENV) $(OPTUNA_VENV)
