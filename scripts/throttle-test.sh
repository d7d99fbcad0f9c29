#!/usr/bin/env bash
# Throttle test: `lith serve` guessed at from many client addresses (every
# 127.x.y.z is loopback on Linux), directly and through nginx with a trusted
# proxy: login and signup throttling, credential stuffing, a botnet against one
# account, `lith throttle list` / `lith user unlock` / `lith audit`, the timing
# of failed logins, and the account page's sessions; see
# scripts/throttle-test.py for the checks. Builds nothing: pass the binary as
# $LITH_BIN (default .build/debug/lith). Needs no PostgreSQL: every server uses
# a temporary SQLite file. nginx is installed from Debian's packages if
# missing. Every process started here is stopped on exit, whether the test
# passed, failed or was interrupted.
#
#   scripts/throttle-test.sh                      # after `swift build`
#   LITH_BIN=.build/release/lith scripts/throttle-test.sh
set -euo pipefail

# A LITH_BIN given relative to the caller's directory still works after the cd.
if [ -n "${LITH_BIN:-}" ] && [ -e "$LITH_BIN" ]; then LITH_BIN=$(realpath "$LITH_BIN"); fi
cd "$(dirname "$0")/.."
LITH_BIN=${LITH_BIN:-.build/debug/lith}

if [ ! -x "$LITH_BIN" ]; then
  echo "throttle-test: no lith binary at $LITH_BIN (run \`swift build\` or set LITH_BIN)" >&2
  exit 2
fi

WORK=$(mktemp -d /tmp/lith-throttle-run.XXXXXX)
export THROTTLE_PIDFILE="$WORK/pids"
: >"$THROTTLE_PIDFILE"

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
  if [ -s "$THROTTLE_PIDFILE" ]; then
    while read -r pid; do
      [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
    done <"$THROTTLE_PIDFILE"
    sleep 1
    while read -r pid; do
      [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
    done <"$THROTTLE_PIDFILE"
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

python3 scripts/throttle-test.py --lith "$LITH_BIN" &
PY_PID=$!
wait "$PY_PID"
