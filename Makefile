# dbkit: build, test, and the database lifecycle targets teams call from deploy runbooks.
# Every db-* target builds the binaries first when a source file changed.

CARGO        ?= cargo
# Paths are relative to this file, so `make -f path/to/Makefile` works from any directory.
ROOT         := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
RELEASE      := $(ROOT)target/release
DB_MIGRATE   ?= $(RELEASE)/db-migrate
SOURCES      := $(shell find $(ROOT)src $(ROOT)bins -name '*.rs' 2>/dev/null) $(ROOT)Cargo.toml $(wildcard $(ROOT)Cargo.lock)
ALEMBIC_VENV ?= $(ROOT).venv-alembic

# The message reaches the binary through the environment, unexpanded, so quotes, $ and backticks survive intact.
override MESSAGE := $(value MESSAGE)
export MESSAGE
REV ?=

.PHONY: build test test-deps lint db-upgrade db-downgrade db-current db-history db-heads db-stamp db-create db-merge db-validate clean

build: $(RELEASE)/db-migrate

$(RELEASE)/db-migrate: $(SOURCES)
	cd $(ROOT) && $(CARGO) build --release --locked --bins
	@touch $@

## Tests: formatting, lints, then every unit and integration test (real SQLite files, a real PostgreSQL server,
## and real Python Alembic for the compatibility tests).
test: test-deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
	ALEMBIC_BIN=$(ALEMBIC_VENV)/bin/alembic $(CARGO) test --locked

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

## Python Alembic (from PyPI, in a local venv) for the tests that hand a database back and forth with it.
test-deps: $(ALEMBIC_VENV)/bin/alembic

$(ALEMBIC_VENV)/bin/alembic:
	python3 -m venv $(ALEMBIC_VENV)
	$(ALEMBIC_VENV)/bin/pip install --quiet --disable-pip-version-check 'alembic>=1.13,<2' 'psycopg2-binary>=2.9'

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

db-create: $(DB_MIGRATE)
	@test -n "$$MESSAGE" || { echo 'usage: make db-create MESSAGE="what the revision does"' >&2; exit 2; }
	$(DB_MIGRATE) create "$$MESSAGE"

db-merge: $(DB_MIGRATE)
	$(DB_MIGRATE) merge heads -m "$${MESSAGE:-merge heads}"

db-validate: $(DB_MIGRATE)
	$(DB_MIGRATE) validate

clean:
	$(CARGO) clean
	rm -rf $(ALEMBIC_VENV)
