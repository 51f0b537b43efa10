#!/usr/bin/env bash
# make deploy: wait for and initialise the database, back it up, migrate to head, verify. If migrating fails, the
# database ends exactly where it started: the upgrade runs as one transaction when it can (nothing to undo), and
# otherwise the pre-deploy backup is restored. Exits non-zero with a short summary on any failure.
#
# The binaries default to target/release; DB_INIT, DB_BACKUP and DB_MIGRATE override them. DB_WAIT is how long
# to wait for the server (seconds, default 60). The database comes from the usual settings (DATABASE_URL, .env,
# alembic.ini).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
DB_INIT=${DB_INIT:-$root/target/release/db-init}
DB_BACKUP=${DB_BACKUP:-$root/target/release/db-backup}
DB_MIGRATE=${DB_MIGRATE:-$root/target/release/db-migrate}
DB_WAIT=${DB_WAIT:-60}

step() { printf '==> %s\n' "$*" >&2; }
summary() {
  printf '\ndeploy FAILED\n' >&2
  printf '  %s\n' "$@" >&2
  exit 1
}
err=$(mktemp)
trap 'rm -f "$err"' EXIT

step "waiting for the database and initialising it"
"$DB_INIT" --wait "$DB_WAIT" >&2 || summary "what failed: db-init (the database is unreachable or could not be created)" "restored: nothing; nothing was changed"

step "backing up before migrating"
backup=$("$DB_BACKUP" create --label pre-deploy) || summary "what failed: the pre-deploy backup" "restored: nothing; nothing was migrated"
step "backup: $backup"

before=$("$DB_MIGRATE" current) || summary "what failed: reading the current revision" "restored: nothing; nothing was migrated" "backup: $backup"
step "migrating from: ${before:-<base>}"

# All or nothing when every revision allows it: a failure then leaves nothing to undo.
"$DB_MIGRATE" upgrade head --single-transaction 2>"$err"
status=$?
cat "$err" >&2
if [ "$status" = 0 ]; then
  migrated=yes
elif grep -q 'transaction:false' "$err"; then
  step "a revision cannot run inside one transaction; migrating revision by revision"
  if "$DB_MIGRATE" upgrade head; then migrated=yes; else migrated=no; fi
else
  migrated=no
fi

if [ "$migrated" = no ]; then
  after=$("$DB_MIGRATE" current 2>/dev/null || echo '?')
  if [ "$after" = "$before" ]; then
    summary "what failed: db-migrate upgrade head (see the FAILED line above)" \
      "restored: nothing was left to undo; the database is still at ${before:-<base>}" \
      "backup: $backup"
  fi
  # Undo this deploy's revisions first: a restore brings back what the backup holds, but objects a revision added
  # are not in it. The restore then brings back the data exactly.
  targets=$(printf '%s\n' "$before" | awk 'NF { print $1 }')
  case $(printf '%s\n' "$targets" | awk 'NF' | wc -l) in
    0) target=base ;;
    1) target=$targets ;;
    *) target= ;;
  esac
  if [ -n "$target" ]; then
    step "downgrading to $target"
    "$DB_MIGRATE" downgrade "$target" >&2 || step "the downgrade failed; the restore still resets schema and data"
  fi
  step "restoring $backup"
  if "$DB_BACKUP" restore "$backup" --yes --no-safety-backup >&2; then
    summary "what failed: db-migrate upgrade head (see the FAILED line above)" \
      "restored: the pre-deploy backup; the database is back at ${before:-<base>}" \
      "backup: $backup"
  fi
  summary "what failed: db-migrate upgrade head, and then restoring the backup" \
    "restored: NOTHING; the database is at ${after}; restore it by hand: db-backup restore $backup" \
    "backup: $backup"
fi

step "verifying"
"$DB_MIGRATE" current --check-heads >&2 || summary "what failed: the database is not at head after migrating" "restored: nothing" "backup: $backup"
step "deployed; backup: $backup"
