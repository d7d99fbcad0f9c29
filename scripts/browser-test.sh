#!/usr/bin/env bash
# Browser test: `lith serve` used through a real headless Chromium driven by
# Selenium (signup, login with `next`, logout, two tabs, form errors and focus,
# phone and desktop layout, contrast, session text, the stylesheet under the
# CSP); see scripts/browser-test.py for the checks. Builds nothing: pass the
# binary as $LITH_BIN (default .build/debug/lith). Needs no PostgreSQL and no
# display: every server uses a temporary SQLite file, the browser is headless.
# Installs what is missing: Debian's chromium and chromium-driver (we run as
# root in CI) and Selenium from PyPI. Every process started here — servers,
# chromedriver and every Chromium process — is stopped on exit, whether the
# test passed, failed or was interrupted.
#
#   scripts/browser-test.sh                                  # after `swift build`
#   LITH_BIN=.build/release/lith scripts/browser-test.sh
#   BROWSER_SCREENSHOTS=/tmp/shots scripts/browser-test.sh   # every page, both sizes
set -euo pipefail

# A LITH_BIN given relative to the caller's directory still works after the cd.
if [ -n "${LITH_BIN:-}" ] && [ -e "$LITH_BIN" ]; then LITH_BIN=$(realpath "$LITH_BIN"); fi
# So does a relative BROWSER_SCREENSHOTS.
if [ -n "${BROWSER_SCREENSHOTS:-}" ]; then
  mkdir -p "$BROWSER_SCREENSHOTS"
  BROWSER_SCREENSHOTS=$(realpath "$BROWSER_SCREENSHOTS")
  export BROWSER_SCREENSHOTS
fi
cd "$(dirname "$0")/.."
LITH_BIN=${LITH_BIN:-.build/debug/lith}

if [ ! -x "$LITH_BIN" ]; then
  echo "browser-test: no lith binary at $LITH_BIN (run \`swift build\` or set LITH_BIN)" >&2
  exit 2
fi

WORK=$(mktemp -d /tmp/lith-browser-run.XXXXXX)
export BROWSER_PIDFILE="$WORK/pids"
: >"$BROWSER_PIDFILE"

# The pid file holds a pid per line; a negative one is a process group
# (chromedriver runs in a session of its own, with its Chromium processes).
stop_listed() {
  local signal=$1 pid
  while read -r pid; do
    [ -n "$pid" ] && kill "-$signal" -- "$pid" 2>/dev/null || true
  done <"$BROWSER_PIDFILE"
}

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
  if [ -s "$BROWSER_PIDFILE" ]; then
    stop_listed TERM
    sleep 1
    stop_listed KILL
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Chromium and chromedriver, from Debian's packages if missing.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "installing chromium and chromium-driver from Debian's packages..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq chromium chromium-driver >&2
fi

# Selenium, from PyPI, for the python3 that runs the test.
if ! python3 -c "import selenium" 2>/dev/null; then
  echo "installing selenium from PyPI..." >&2
  # A Debian-managed python3 refuses pip installs (PEP 668) unless told.
  python3 -m pip install -q selenium >&2 || python3 -m pip install -q --break-system-packages selenium >&2
fi

python3 scripts/browser-test.py --lith "$LITH_BIN" &
PY_PID=$!
wait "$PY_PID"
