#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the tests (docs/adr/0012-postgres-storage.md) and prints the one line the
# tests read: export SWITCHYARD_TEST_POSTGRES="...". Idempotent: installs the Debian package only when no
# server binary is there, creates the cluster only once, starts it only when it does not answer.
# Everything but the export line goes to stderr.
# The cluster is our own (initdb under $PGDATA, port $PGPORT on 127.0.0.1 only), not Debian's "main" one,
# so it never depends on systemd and never touches a database someone else uses. The server refuses to run as
# root, so it runs as the "postgres" user the package creates.
set -euo pipefail

PGPORT="${SWITCHYARD_PG_PORT:-55432}"
PGDATA="${SWITCHYARD_PG_DATA:-/var/tmp/switchyard-pg/data}"
PGLOG="$(dirname "$PGDATA")/server.log"
ROLE=switchyard
PASSWORD=switchyard-test
DATABASE=switchyard_test

log() { echo "postgres.sh: $*" >&2; }

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

if [ -z "$(bindir)" ] || [ ! -x "$(bindir)/postgres" ]; then
  log "installing postgresql"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
BIN="$(bindir)"

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

answers() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT"; }

if ! answers; then
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    log "creating a cluster in $PGDATA"
    mkdir -p "$PGDATA"
    [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$(dirname "$PGDATA")"
    pwfile="$(mktemp)"
    echo "$PASSWORD" > "$pwfile"
    chmod 644 "$pwfile"
    as_postgres "$BIN/initdb" -D "$PGDATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 >&2
    rm -f "$pwfile"
  fi
  log "starting the server on 127.0.0.1:$PGPORT"
  # fsync stays on: the tests check durability, and they write little.
  as_postgres "$BIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k /tmp -c max_connections=200" >&2
fi

for _ in $(seq 1 60); do
  answers && break
  sleep 1
done
answers || { log "the server did not answer within 60 s; see $PGLOG"; exit 1; }

psql_admin() { as_postgres "$BIN/psql" -v ON_ERROR_STOP=1 -q -h /tmp -p "$PGPORT" -U postgres "$@"; }
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != "1" ]; then
  log "creating role $ROLE"
  psql_admin -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'" >&2
fi
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != "1" ]; then
  log "creating database $DATABASE"
  psql_admin -c "CREATE DATABASE $DATABASE OWNER $ROLE" >&2
fi

echo "export SWITCHYARD_TEST_POSTGRES=\"Host=127.0.0.1;Port=$PGPORT;Username=$ROLE;Password=$PASSWORD;Database=$DATABASE\""
