#!/usr/bin/env bash
# Lith's benchmark harness: builds the release binaries, runs every scenario on
# a fresh SQLite file (and, with --postgres URL, a second full run on a fresh
# PostgreSQL schema), prints one markdown table and writes
# bench/results/latest.md and bench/results/latest.json. See bench/README.md.
#
#   bench/run.sh                      # SQLite
#   bench/run.sh --postgres URL       # SQLite, then PostgreSQL (or LITH_BENCH_POSTGRES_URL=URL)
#   bench/run.sh --secure-cookies     # serve as an https deployment does (Secure, __Host-, HSTS)
#
# Environment:
#   LITH_BENCH_SKIP_BUILD=1      don't run `swift build`
#   LITH_BENCH_BUILD_DIR=DIR     take lith and lith-ceiling from DIR (default: the release bin path)
#   LITH_BENCH_POSTGRES_URL=URL  same as --postgres URL
#   LITH_BENCH_KEEP=1            keep the scratch directory (server logs, saved page, databases)
#   LITH_BENCH_REPEAT=N          measure each wrk scenario N times, keep the median (default 3)
#
# Exit status: 0 when the benchmark ran (targets met or not: the table says which
# were missed), non-zero when the harness itself failed (build, tools, a server
# that would not start, a signup that did not work).
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
POSTGRES_URL=${LITH_BENCH_POSTGRES_URL:-}
REPEAT=${LITH_BENCH_REPEAT:-3}
SECURE=()

usage() { sed -n '2,/^[^#]/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) [ $# -ge 2 ] || { echo "bench: --postgres needs a URL" >&2; exit 64; }; POSTGRES_URL=$2; shift 2 ;;
    --postgres=*) POSTGRES_URL=${1#--postgres=}; shift ;;
    --secure-cookies) SECURE=(--secure-cookies); shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench: unknown argument '$1'" >&2; usage >&2; exit 64 ;;
  esac
done

case "$REPEAT" in ''|*[!0-9]*|0) echo "bench: LITH_BENCH_REPEAT must be a positive integer" >&2; exit 64 ;; esac

say() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
die() { say "harness failure: $*"; exit 2; }

# --- scratch space and cleanup -------------------------------------------------

WORKDIR=$(mktemp -d /tmp/lith-bench.XXXXXX)
PIDFILE=$WORKDIR/pids
: >"$PIDFILE"
CHILD=""
PG_SCHEMA=""
PSQL_URL=""

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  # The Python runner stops what it started; ask it first, then make sure.
  if [ -n "$CHILD" ] && kill -0 "$CHILD" 2>/dev/null; then
    kill -TERM "$CHILD" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$CHILD" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$CHILD" 2>/dev/null || true
  fi
  # Anything it started and left behind (if it was killed): only PIDs it wrote
  # down, and only if they still run one of our programs.
  if [ -s "$PIDFILE" ]; then
    while read -r pid; do
      [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || continue
      if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -Eq 'lith|wrk|login_cycle'; then
        kill -TERM "$pid" 2>/dev/null || true
        sleep 0.5
        kill -KILL "$pid" 2>/dev/null || true
      fi
    done <"$PIDFILE"
  fi
  if [ -n "$PG_SCHEMA" ] && [ -n "$PSQL_URL" ]; then
    psql "$PSQL_URL" -X -q -v ON_ERROR_STOP=1 -c "DROP SCHEMA IF EXISTS $PG_SCHEMA CASCADE; DROP SCHEMA IF EXISTS ${PG_SCHEMA}_1m CASCADE" >/dev/null 2>&1 \
      || say "could not drop PostgreSQL schema $PG_SCHEMA"
  fi
  if [ "${LITH_BENCH_KEEP:-0}" = 1 ] || { [ "$status" -ne 0 ] && [ "$status" -ne 130 ] && [ "$status" -ne 143 ]; }; then
    say "scratch directory kept: $WORKDIR"
  else
    rm -rf "$WORKDIR"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a command in the background and waits for it, so that Ctrl-C and TERM
# reach the trap at once instead of after the command ends.
run_child() {
  "$@" &
  CHILD=$!
  local status=0
  wait "$CHILD" || status=$?
  CHILD=""
  return "$status"
}

# --- tools ----------------------------------------------------------------------

command -v python3 >/dev/null || die "python3 is required"
python3 -c 'import requests' 2>/dev/null || die "python3's requests module is required (pip install requests, or apt-get install python3-requests)"
command -v curl >/dev/null || die "curl is required"
if ! command -v wrk >/dev/null; then
  say "installing wrk with apt-get"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2 && $SUDO apt-get install -y -qq wrk >&2 || die "could not install wrk"
fi
if [ -n "$POSTGRES_URL" ]; then
  command -v psql >/dev/null || die "psql is required for --postgres (apt-get install postgresql-client)"
fi

# --- binaries -------------------------------------------------------------------

cd "$REPO"
if [ "${LITH_BENCH_SKIP_BUILD:-0}" != 1 ]; then
  say "building release binaries (the first build takes several minutes)"
  # One product per invocation: swift build keeps only the last --product.
  run_child swift build -c release --product lith >&2 || die "swift build --product lith failed"
  run_child swift build -c release --product lith-ceiling >&2 || die "swift build --product lith-ceiling failed"
fi
BUILD_DIR=${LITH_BENCH_BUILD_DIR:-}
if [ -z "$BUILD_DIR" ]; then
  BUILD_DIR=$(swift build -c release --show-bin-path 2>/dev/null || echo "$REPO/.build/release")
fi
BUILD_DIR=$(cd "$BUILD_DIR" 2>/dev/null && pwd) || die "build directory '$BUILD_DIR' does not exist"
LITH=$BUILD_DIR/lith
CEILING=$BUILD_DIR/lith-ceiling
[ -x "$LITH" ] || die "$LITH is missing (build it, or point LITH_BENCH_BUILD_DIR at a release build)"
[ -x "$CEILING" ] || die "$CEILING is missing (swift build -c release --product lith-ceiling)"
"$LITH" hash-rate --help >/dev/null 2>&1 || die "$LITH has no 'hash-rate' command: rebuild it"
say "binaries: $BUILD_DIR"

# --- runs -----------------------------------------------------------------------

RESULTS=()
HARNESS_FAILED=0

say "SQLite run (scratch: $WORKDIR)"
if run_child python3 "$BENCH_DIR/bench.py" --lith "$LITH" --ceiling "$CEILING" --store sqlite \
    --database "$WORKDIR/bench.sqlite" --workdir "$WORKDIR" --out "$WORKDIR/sqlite.json" --pidfile "$PIDFILE" --repeat "$REPEAT" ${SECURE[@]+"${SECURE[@]}"}; then
  :
else
  HARNESS_FAILED=1
fi
[ -s "$WORKDIR/sqlite.json" ] && RESULTS+=("sqlite=$WORKDIR/sqlite.json")

if [ -n "$POSTGRES_URL" ]; then
  # psql does not know Lith's URL parameters (search_path, application_name).
  PSQL_URL=$(python3 - "$POSTGRES_URL" <<'PY'
import sys, urllib.parse
parts = urllib.parse.urlsplit(sys.argv[1])
query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k not in ("search_path", "application_name")]
print(urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query))))
PY
)
  SCHEMA=lith_bench_$(date +%Y%m%d%H%M%S)_$$
  if psql "$PSQL_URL" -X -q -v ON_ERROR_STOP=1 -c "CREATE SCHEMA $SCHEMA" >/dev/null; then
    PG_SCHEMA=$SCHEMA
  else
    # Still report the SQLite run; exit non-zero at the end.
    say "harness failure: could not create schema $SCHEMA with psql (is the URL right and the server up?)"
    HARNESS_FAILED=1
  fi
fi
if [ -n "$PG_SCHEMA" ]; then
  LITH_PG_URL=$(python3 - "$POSTGRES_URL" "$SCHEMA" <<'PY'
import sys, urllib.parse
parts = urllib.parse.urlsplit(sys.argv[1])
query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "search_path"] + [("search_path", sys.argv[2])]
print(urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query))))
PY
)
  say "PostgreSQL run (schema $SCHEMA)"
  if run_child python3 "$BENCH_DIR/bench.py" --lith "$LITH" --ceiling "$CEILING" --store postgres \
      --database "$LITH_PG_URL" --psql-url "$PSQL_URL" --schema "$SCHEMA" \
      --workdir "$WORKDIR" --out "$WORKDIR/postgres.json" --pidfile "$PIDFILE" --repeat "$REPEAT" ${SECURE[@]+"${SECURE[@]}"}; then
    :
  else
    HARNESS_FAILED=1
  fi
  [ -s "$WORKDIR/postgres.json" ] && RESULTS+=("postgres=$WORKDIR/postgres.json")
fi

[ ${#RESULTS[@]} -gt 0 ] || die "no results"
python3 "$BENCH_DIR/report.py" --repo "$REPO" --build-dir "$BUILD_DIR" --out-dir "$BENCH_DIR/results" "${RESULTS[@]}" \
  || die "report failed"
say "written: bench/results/latest.md, bench/results/latest.json"
[ "$HARNESS_FAILED" = 0 ] || die "a run did not finish (see the messages above); the table shows what was measured"
