#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for Lith's tests: `start` installs PostgreSQL
# from Debian's packages if missing, creates a cluster under $LITH_PG_DIR on
# $LITH_PG_PORT, creates the database, and prints its URL; `stop` stops it;
# `restart-server` stops and starts the server (for fault tests).
set -euo pipefail

PG_DIR=${LITH_PG_DIR:-/tmp/lith-postgres}
PG_PORT=${LITH_PG_PORT:-55432}
PG_DB=${LITH_PG_DB:-lith_test}
PG_USER=lith
PG_PASSWORD=lith-test-password

find_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$bin" ] && [ -x "$bin/pg_ctl" ] && echo "$bin"
}

as_postgres() {
  # PostgreSQL refuses to run as root; use the postgres system user when we are root.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install() {
  if [ -z "$(find_bin)" ]; then
    echo "installing PostgreSQL from Debian's packages..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
  fi
  find_bin >/dev/null || { echo "PostgreSQL is not installed and could not be installed" >&2; exit 1; }
}

start() {
  install
  local bin; bin=$(find_bin)
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    mkdir -p "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR"
    # Password (SCRAM) over TCP, as a real deployment; trust only on the local socket for setup.
    as_postgres "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 >/dev/null
  fi
  if ! as_postgres "$bin/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
    as_postgres "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
      -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null
  fi
  as_postgres "$bin/psql" -h "$PG_DIR" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -q -d postgres >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD' CREATEDB;
  END IF;
END \$\$;
SQL
  if ! as_postgres "$bin/psql" -h "$PG_DIR" -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1; then
    as_postgres "$bin/createdb" -h "$PG_DIR" -p "$PG_PORT" -U postgres -O "$PG_USER" "$PG_DB"
  fi
  echo "postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB?sslmode=disable"
}

stop() {
  local bin; bin=$(find_bin) || exit 0
  [ -f "$PG_DIR/data/PG_VERSION" ] || exit 0
  as_postgres "$bin/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

server_stop() { local bin; bin=$(find_bin); as_postgres "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null; }
server_start() {
  local bin; bin=$(find_bin)
  as_postgres "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  server-stop) server_stop ;;
  server-start) server_start ;;
  *) echo "usage: $0 start|stop|server-stop|server-start" >&2; exit 64 ;;
esac
