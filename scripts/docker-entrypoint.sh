#!/bin/sh
# Container entrypoint: wait for the database, migrate it to head, then run the application in this process's
# place (`exec "$@"`), so signals reach it directly. A failed migration stops the container with a non-zero exit
# instead of starting the application against the wrong schema.
#
# DB_WAIT: seconds to wait for the server (default 60). DB_INIT, DB_MIGRATE: the binaries (default: on PATH).
# SKIP_MIGRATIONS=1 starts the application without migrating (for replicas that must not migrate).
set -eu

DB_WAIT=${DB_WAIT:-60}
DB_INIT=${DB_INIT:-db-init}
DB_MIGRATE=${DB_MIGRATE:-db-migrate}

log() { printf 'entrypoint: %s\n' "$*" >&2; }

if [ "${SKIP_MIGRATIONS:-0}" != 1 ]; then
  log "waiting up to ${DB_WAIT}s for the database"
  if ! "$DB_INIT" --wait "$DB_WAIT" >&2; then
    log "the database is not ready; not starting the application"
    exit 1
  fi
  log "migrating to head"
  if ! "$DB_MIGRATE" upgrade head; then
    log "migration failed; not starting the application"
    exit 1
  fi
  log "database at: $("$DB_MIGRATE" current)"
fi

if [ "$#" -eq 0 ]; then
  log "no command given; nothing to start"
  exit 0
fi
log "starting: $*"
exec "$@"
