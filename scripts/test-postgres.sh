#!/usr/bin/env bash
# Makes a local PostgreSQL server ready for the tests and prints the variables that point the tests at it
# (use as: eval "$(scripts/test-postgres.sh)"). Starts the installed cluster, or installs Debian's
# postgresql package when there is none; creates the role `dbkit` (CREATEDB) and a role `dbkit_pw` that must
# log in with a password over TCP, for the wrong-password tests.
set -euo pipefail
log() { echo "test-postgres: $*" >&2; }

as_postgres() {
  if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null; then runuser -u postgres -- "$@"; else "$@"; fi
}

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  log "installing postgresql from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  version=$(ls /etc/postgresql | sort -n | tail -1)
  log "starting cluster $version/main"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || pg_ctlcluster "$version" main start >&2
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }

psql_admin >&2 <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dbkit') THEN
    CREATE ROLE dbkit LOGIN CREATEDB PASSWORD 'dbkit';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dbkit_pw') THEN
    CREATE ROLE dbkit_pw LOGIN PASSWORD 'right-password';
  END IF;
END
$$;
SQL

# dbkit_pw must present its password on TCP even where the server trusts everyone else.
hba=$(psql_admin -At -c 'SHOW hba_file')
rule='host all dbkit_pw 127.0.0.1/32 scram-sha-256'
if ! grep -qF "$rule" "$hba"; then
  log "requiring a password for dbkit_pw in $hba"
  { echo "$rule"; cat "$hba"; } > "$hba.dbkit" && cat "$hba.dbkit" > "$hba" && rm -f "$hba.dbkit"
  psql_admin -c 'SELECT pg_reload_conf()' >/dev/null
fi
as_postgres psql -X -q -d postgres -c "SET password_encryption = 'scram-sha-256'; ALTER ROLE dbkit_pw PASSWORD 'right-password'" >&2

echo "TEST_DATABASE_URL=postgresql://dbkit:dbkit@127.0.0.1:5432/postgres"
echo "TEST_DATABASE_PASSWORD_URL=postgresql://dbkit_pw:right-password@127.0.0.1:5432/postgres"
