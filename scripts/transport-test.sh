#!/usr/bin/env bash
# Transport test: `lith serve` attacked over raw sockets (upgrades, CONNECT,
# idle and trickling connections, descriptor exhaustion, SIGTERM mid-request,
# Host checks, smuggling, hash-queue floods, log injection); see
# scripts/transport-test.py for the checks. Builds nothing: pass the binary as
# $LITH_BIN (default .build/debug/lith). Needs no PostgreSQL and no nginx: every
# server uses a temporary SQLite file. Every process started here is stopped on
# exit, whether the test passed, failed or was interrupted.
#
#   scripts/transport-test.sh                      # after `swift build`
#   LITH_BIN=.build/release/lith scripts/transport-test.sh
set -euo pipefail

# A LITH_BIN given relative to the caller's directory still works after the cd.
if [ -n "${LITH_BIN:-}" ] && [ -e "$LITH_BIN" ]; then LITH_BIN=$(realpath "$LITH_BIN"); fi
cd "$(dirname "$0")/.."
LITH_BIN=${LITH_BIN:-.build/debug/lith}

if [ ! -x "$LITH_BIN" ]; then
  echo "transport-test: no lith binary at $LITH_BIN (run \`swift build\` or set LITH_BIN)" >&2
  exit 2
fi

WORK=$(mktemp -d /tmp/lith-transport-run.XXXXXX)
export TRANSPORT_PIDFILE="$WORK/pids"
: >"$TRANSPORT_PIDFILE"

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
  if [ -s "$TRANSPORT_PIDFILE" ]; then
    while read -r pid; do
      [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
    done <"$TRANSPORT_PIDFILE"
    sleep 1
    while read -r pid; do
      [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
    done <"$TRANSPORT_PIDFILE"
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

python3 scripts/transport-test.py --lith "$LITH_BIN" &
PY_PID=$!
wait "$PY_PID"
