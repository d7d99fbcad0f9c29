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

source "$(dirname "$0")/blackbox.sh"
blackbox_begin mail MAIL_PIDFILE
PG_DIR=${LITH_PG_DIR:-/tmp/lith-postgres}

# aiosmtpd for scripts/smtp-server.py.
blackbox_pip_install aiosmtpd
# openssl makes the SMTP server's throwaway certificate.
if ! command -v openssl >/dev/null 2>&1; then
  blackbox_apt_install openssl
fi

# PostgreSQL for the fleet check; remember whether we started its server.
blackbox_note_postgres "$PG_DIR"
DATABASE_ARGS=()
if URL=$(scripts/postgres.sh start 2>"$WORK/postgres.err") && [ -n "$URL" ]; then
  DATABASE_ARGS=(--database "$URL")
else
  MAIL_PG_ERROR=$(tail -n 3 "$WORK/postgres.err" | tr '\n' ' ')
  export MAIL_PG_ERROR="scripts/postgres.sh start failed: ${MAIL_PG_ERROR:-no output}"
  echo "mail-test: $MAIL_PG_ERROR" >&2
fi

blackbox_run scripts/mail-test.py --lith "$LITH_BIN" ${DATABASE_ARGS[@]+"${DATABASE_ARGS[@]}"}
