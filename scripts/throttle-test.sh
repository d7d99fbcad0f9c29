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

source "$(dirname "$0")/blackbox.sh"
blackbox_begin throttle THROTTLE_PIDFILE
blackbox_need_nginx

blackbox_run scripts/throttle-test.py --lith "$LITH_BIN"
