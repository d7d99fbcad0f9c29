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

source "$(dirname "$0")/blackbox.sh"
blackbox_begin fleet FLEET_PIDFILE
export LITH_PG_DIR=${LITH_PG_DIR:-/tmp/lith-fleet-postgres}
export LITH_PG_PORT=${LITH_PG_PORT:-55433}
export LITH_PG_DB=${LITH_PG_DB:-lith_test}
FLEET_DB=lith_fleet

blackbox_need_nginx

# PostgreSQL: our own cluster; remember whether we started its server.
blackbox_note_postgres "$LITH_PG_DIR"
URL=$(scripts/postgres.sh start)

# A fresh database for this run.
BASE=${URL%/*}     # postgres://lith:...@127.0.0.1:PORT
QUERY=${URL#*\?}   # sslmode=disable
psql "$BASE/postgres?$QUERY" -X -q -v ON_ERROR_STOP=1 \
  -c "DROP DATABASE IF EXISTS $FLEET_DB WITH (FORCE)" -c "CREATE DATABASE $FLEET_DB" >/dev/null
FLEET_URL="$BASE/$FLEET_DB?$QUERY"

blackbox_run scripts/fleet-test.py --database "$FLEET_URL" --lith "$LITH_BIN"
