#!/usr/bin/env bash
# Mail test: "forgot your password?" over a real SMTP server
# (scripts/smtp-server.py, STARTTLS + AUTH), the outbox's retries and
# refusals, `lith mail test`, `lith user reset-link`, and two instances sharing
# one outbox on PostgreSQL; see scripts/mail-test.py for the checks. Builds
# nothing: pass the binary as $LITH_BIN (default .build/debug/lith).
#
# aiosmtpd is installed with pip if missing. PostgreSQL comes from
# scripts/postgres.sh (its default cluster, LITH_PG_DIR / LITH_PG_PORT); the
# fleet check makes a schema of its own in it and drops it at the end. If
# PostgreSQL can't be started the fleet check is skipped with a SKIP line,
# unless CI=true, where that is a failure. Every process started here — and
# the PostgreSQL server if it wasn't running before — is stopped on exit,
# whether the test passed, failed or was interrupted.
#
#   scripts/mail-test.sh                      # after `swift build`
#   LITH_BIN=.build/release/lith scripts/mail-test.sh
set -euo pipefail

# A LITH_BIN given relative to the caller's directory still works after the cd.
if [ -n "${LITH_BIN:-}" ] && [ -e "$LITH_BIN" ]; then LITH_BIN=$(realpath "$LITH_BIN"); fi
cd "$(dirname "$0")/.."
LITH_BIN=${LITH_BIN:-.build/debug/lith}
PG_DIR=${LITH_PG_DIR:-/tmp/lith-postgres}

if [ ! -x "$LITH_BIN" ]; then
  echo "mail-test: no lith binary at $LITH_BIN (run \`swift build\` or set LITH_BIN)" >&2
  exit 2
fi

WORK=$(mktemp -d /tmp/lith-mail-run.XXXXXX)
export MAIL_PIDFILE="$WORK/pids"
: >"$MAIL_PIDFILE"
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
  if [ -s "$MAIL_PIDFILE" ]; then
    while read -r pid; do
      [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
    done <"$MAIL_PIDFILE"
    sleep 1
    while read -r pid; do
      [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
    done <"$MAIL_PIDFILE"
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

# aiosmtpd for scripts/smtp-server.py.
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  echo "installing aiosmtpd with pip..." >&2
  python3 -m pip install -q aiosmtpd || python3 -m pip install -q --break-system-packages aiosmtpd
fi
# openssl makes the SMTP server's throwaway certificate.
if ! command -v openssl >/dev/null 2>&1; then
  echo "installing openssl from Debian's packages..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq openssl >&2
fi

# PostgreSQL for the fleet check; remember whether we started its server.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$PG_BIN" ] || [ ! -f "$PG_DIR/data/PG_VERSION" ] ||
  ! runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
  PG_STARTED_HERE=1
fi
DATABASE_ARGS=()
if URL=$(scripts/postgres.sh start 2>"$WORK/postgres.err") && [ -n "$URL" ]; then
  DATABASE_ARGS=(--database "$URL")
else
  MAIL_PG_ERROR=$(tail -n 3 "$WORK/postgres.err" | tr '\n' ' ')
  export MAIL_PG_ERROR="scripts/postgres.sh start failed: ${MAIL_PG_ERROR:-no output}"
  echo "mail-test: $MAIL_PG_ERROR" >&2
fi

python3 scripts/mail-test.py --lith "$LITH_BIN" ${DATABASE_ARGS[@]+"${DATABASE_ARGS[@]}"} &
PY_PID=$!
wait "$PY_PID"
