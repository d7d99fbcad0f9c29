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

source "$(dirname "$0")/blackbox.sh"
blackbox_begin transport TRANSPORT_PIDFILE

blackbox_run scripts/transport-test.py --lith "$LITH_BIN"
