#!/usr/bin/env bash
# Fleet test: two `lith serve` instances on one PostgreSQL database behind nginx
# (see scripts/fleet-test.py for the checks). Builds nothing: pass the binary as
# $LITH_BIN (default .build/debug/lith).
#
# It uses its own throwaway PostgreSQL cluster (LITH_PG_DIR, default
# /tmp/lith-fleet-postgres, on LITH_PG_PORT, default 55433) because one check
# stops and starts the server, which must not pull the database from under other
# tests using scripts/postgres.sh's default cluster. The database lith_fleet is
# dropped and created afresh on every run. Everything started here — the
# instances, nginx, and the PostgreSQL server if it wasn't running before — is
# stopped on exit, whether the test passed, failed or was interrupted.
#
#   scripts/fleet-test.sh                      # after `swift build`
#   LITH_BIN=.build/release/lith scripts/fleet-test.sh
set -euo pipefail

# A LITH_BIN given relative to the caller's directory still works after the cd.
if [ -n "${LITH_BIN:-}" ] && [ -e "$LITH_BIN" ]; then LITH_BIN=$(realpath "$LITH_BIN"); fi
cd "$(dirname "$0")/.."
LITH_BIN=${LITH_BIN:-.build/debug/lith}
export LITH_PG_DIR=${LITH_PG_DIR:-/tmp/lith-fleet-postgres}
export LITH_PG_PORT=${LITH_PG_PORT:-55433}
export LITH_PG_DB=${LITH_PG_DB:-lith_test}
FLEET_DB=lith_fleet

if [ ! -x "$LITH_BIN" ]; then
  echo "fleet-test: no lith binary at $LITH_BIN (run \`swift build\` or set LITH_BIN)" >&2
  exit 2
fi

WORK=$(mktemp -d /tmp/lith-fleet-run.XXXXXX)
export FLEET_PIDFILE="$WORK/pids"
: >"$FLEET_PIDFILE"
PG_STARTED_HERE=0

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  # The Python test stops its own children when told to; give it a moment.
  if [ -n "${PY_PID:-}" ] && kill -0 "$PY_PID" 2>/dev/null; then
    kill -TERM "$PY_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$PY_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$PY_PID" 2>/dev/null || true
  fi
  # Whatever it left behind (it empties the pid file once all are reaped).
  if [ -s "$FLEET_PIDFILE" ]; then
    while read -r pid; do
      [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
    done <"$FLEET_PIDFILE"
    sleep 1
    while read -r pid; do
      [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
    done <"$FLEET_PIDFILE"
  fi
  if [ "$PG_STARTED_HERE" = 1 ]; then
    scripts/postgres.sh stop || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# nginx, from Debian's packages if missing (we run as root in CI).
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "installing nginx from Debian's packages..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq nginx >&2
fi
export PATH="$PATH:/usr/sbin"

# PostgreSQL: our own cluster; remember whether we started its server.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$PG_BIN" ] || [ ! -f "$LITH_PG_DIR/data/PG_VERSION" ] ||
  ! runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$LITH_PG_DIR/data" status >/dev/null 2>&1; then
  PG_STARTED_HERE=1
fi
URL=$(scripts/postgres.sh start)

# A fresh database for this run.
BASE=${URL%/*}     # postgres://lith:...@127.0.0.1:PORT
QUERY=${URL#*\?}   # sslmode=disable
psql "$BASE/postgres?$QUERY" -X -q -v ON_ERROR_STOP=1 \
  -c "DROP DATABASE IF EXISTS $FLEET_DB WITH (FORCE)" -c "CREATE DATABASE $FLEET_DB" >/dev/null
FLEET_URL="$BASE/$FLEET_DB?$QUERY"

python3 scripts/fleet-test.py --database "$FLEET_URL" --lith "$LITH_BIN" &
PY_PID=$!
wait "$PY_PID"
