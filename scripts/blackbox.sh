# Shared by the black-box wrappers (scripts/*-test.sh), which source it
# before they change directory. They all run one Python suite the same way:
# the lith binary checked first (exit 2 without one), a temp dir with a pid
# file the suite appends every child to, and a trap that stops the suite and
# whatever it left behind, whether it passed, failed or was interrupted
# (exit 130 on SIGINT, 143 on SIGTERM, else the suite's own status).

BLACKBOX_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# blackbox_begin NAME PIDFILE_VARIABLE: LITH_BIN resolved, the repository the
# working directory, $WORK made with the pid file in it (exported as
# PIDFILE_VARIABLE, which the suite reads), the cleanup trap set.
blackbox_begin() {
  local name=$1 pidfile_variable=$2
  # A LITH_BIN given relative to the caller's directory still works after the cd.
  if [ -n "${LITH_BIN:-}" ] && [ -e "$LITH_BIN" ]; then LITH_BIN=$(realpath "$LITH_BIN"); fi
  cd "$BLACKBOX_SCRIPTS/.."
  LITH_BIN=${LITH_BIN:-.build/debug/lith}

  if [ ! -x "$LITH_BIN" ]; then
    echo "$name-test: no lith binary at $LITH_BIN (run \`swift build\` or set LITH_BIN)" >&2
    exit 2
  fi

  WORK=$(mktemp -d "/tmp/lith-$name-run.XXXXXX")
  BLACKBOX_PIDFILE="$WORK/pids"
  : >"$BLACKBOX_PIDFILE"
  export "$pidfile_variable=$BLACKBOX_PIDFILE"
  PG_STARTED_HERE=0  # blackbox_note_postgres sets it: then cleanup stops PostgreSQL

  trap blackbox_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# The pid file holds a pid per line; a negative one is a process group
# (the browser suite's chromedriver, with its Chromium processes).
blackbox_signal_listed() {
  local signal=$1 pid
  while read -r pid; do
    [ -n "$pid" ] && kill "-$signal" -- "$pid" 2>/dev/null || true
  done <"$BLACKBOX_PIDFILE"
}

blackbox_cleanup() {
  local status=$?
  trap - EXIT INT TERM
  # The Python test stops its own children when told to; give it a moment.
  if [ -n "${PY_PID:-}" ] && kill -0 "$PY_PID" 2>/dev/null; then
    kill -TERM "$PY_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$PY_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$PY_PID" 2>/dev/null || true
  fi
  # Whatever it left behind (it empties the pid file once all are reaped).
  if [ -s "$BLACKBOX_PIDFILE" ]; then
    blackbox_signal_listed TERM
    sleep 1
    blackbox_signal_listed KILL
  fi
  if [ "$PG_STARTED_HERE" = 1 ]; then
    scripts/postgres.sh stop || true
  fi
  rm -rf "$WORK"
  exit "$status"
}

# blackbox_note_postgres DIR: remembers whether scripts/postgres.sh's cluster
# in DIR is down before the wrapper starts it, so that cleanup stops only a
# server this run started.
blackbox_note_postgres() {
  local dir=$1 pg_bin
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$pg_bin" ] || [ ! -f "$dir/data/PG_VERSION" ] ||
    ! runuser -u postgres -- "$pg_bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    PG_STARTED_HERE=1
  fi
}

# blackbox_apt_install PACKAGE...: from Debian's packages (we run as root in CI).
blackbox_apt_install() {
  echo "installing $* from Debian's packages..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "$@" >&2
}

# nginx, from Debian's packages if missing; /usr/sbin on PATH, where Debian puts it.
blackbox_need_nginx() {
  if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    blackbox_apt_install nginx
  fi
  export PATH="$PATH:/usr/sbin"
}

# blackbox_pip_install MODULE: from PyPI if python3 can't import it.
blackbox_pip_install() {
  local module=$1
  if ! python3 -c "import $module" 2>/dev/null; then
    echo "installing $module from PyPI..." >&2
    # A Debian-managed python3 refuses pip installs (PEP 668) unless told.
    python3 -m pip install -q "$module" >&2 || python3 -m pip install -q --break-system-packages "$module" >&2
  fi
}

# blackbox_run SCRIPT ARGS...: the suite, in the background so that the INT
# and TERM traps run at once (bash runs a trap only between commands), then
# its exit status, which set -e makes the wrapper's.
blackbox_run() {
  python3 "$@" &
  PY_PID=$!
  wait "$PY_PID"
}
