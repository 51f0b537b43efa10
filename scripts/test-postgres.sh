#!/usr/bin/env bash
# Runs a command against a private, throwaway PostgreSQL server, so that tests never reconfigure the machine's
# own server: `scripts/test-postgres.sh cargo test`. It runs `initdb` into a temporary directory, starts the
# server on a free port of 127.0.0.1 with its socket in that directory and password (SCRAM) authentication on
# TCP, creates the roles the tests use, exports TEST_DATABASE_URL and TEST_DATABASE_PASSWORD_URL, runs the
# command, then stops the server and removes the directory, whatever the command's outcome. Only where no
# PostgreSQL server binaries exist at all does it install Debian's `postgresql` package (as root).
set -euo pipefail
log() { echo "test-postgres: $*" >&2; }

if [ $# -eq 0 ]; then
  echo "usage: scripts/test-postgres.sh COMMAND [ARGS...]" >&2
  exit 2
fi

find_bindir() {
  local initdb
  initdb=$(command -v initdb 2>/dev/null || true)
  if [ -z "$initdb" ]; then
    initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1 || true)
  fi
  # Through any symlink, so that psql and pg_ctl come from the same installation.
  [ -n "$initdb" ] && dirname "$(readlink -f "$initdb")"
}

bindir=$(find_bindir || true)
if [ -z "$bindir" ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    log "no PostgreSQL server binaries (initdb) found; install PostgreSQL, or set TEST_DATABASE_URL to a server"
    # Locally the PostgreSQL tests then skip themselves; under CI they must run.
    [ "${CI:-}" = true ] && exit 1
    exec "$@"
  fi
  log "installing postgresql from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bindir=$(find_bindir)
fi

# initdb refuses to run as root: the cluster then belongs to the postgres account the package created.
runas=()
owner=$(id -un)
if [ "$(id -u)" = 0 ]; then
  owner=postgres
  id "$owner" >/dev/null 2>&1 || { log "running as root needs a 'postgres' account to own the test server"; exit 1; }
  runas=(runuser -u "$owner" --)
fi

base="${TMPDIR:-/tmp}"
# Servers left by a run that was killed (its shell gone) are stopped and removed first.
for stale in "$base"/dbkit-pg.*; do
  [ -f "$stale/owner.pid" ] || continue
  if ! kill -0 "$(cat "$stale/owner.pid")" 2>/dev/null; then
    "${runas[@]}" "$bindir/pg_ctl" -D "$stale/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$stale"
  fi
done

dir=$(mktemp -d "$base/dbkit-pg.XXXXXX")
echo $$ > "$dir/owner.pid"
chmod 0755 "$dir"
cleanup() {
  "${runas[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$password" > "$dir/pwfile"
chown "$owner" "$dir" "$dir/pwfile"
chmod 0600 "$dir/pwfile"

"${runas[@]}" "$bindir/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" --auth-local=trust \
  --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
rm -f "$dir/pwfile"

# A free port: the first one from 54320 on that nothing answers on.
port=54320
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done

# Durability is not under test here (the server process is never killed), so skip the disk syncs.
"${runas[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
log "private server on 127.0.0.1:$port (data in $dir, removed at the end)"

"${runas[@]}" "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres >&2 <<'SQL'
CREATE ROLE dbkit_pw LOGIN PASSWORD 'right-password';
SQL

export TEST_DATABASE_URL="postgresql://postgres:$password@127.0.0.1:$port/postgres"
export TEST_DATABASE_PASSWORD_URL="postgresql://dbkit_pw:right-password@127.0.0.1:$port/postgres"
status=0
"$@" || status=$?
exit "$status"
