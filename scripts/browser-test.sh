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

source "$(dirname "$0")/blackbox.sh"
# A relative BROWSER_SCREENSHOTS still works after blackbox_begin's cd.
if [ -n "${BROWSER_SCREENSHOTS:-}" ]; then
  mkdir -p "$BROWSER_SCREENSHOTS"
  BROWSER_SCREENSHOTS=$(realpath "$BROWSER_SCREENSHOTS")
  export BROWSER_SCREENSHOTS
fi
blackbox_begin browser BROWSER_PIDFILE

# Chromium and chromedriver, from Debian's packages if missing.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  blackbox_apt_install chromium chromium-driver
fi

# Selenium, from PyPI, for the python3 that runs the test.
blackbox_pip_install selenium

blackbox_run scripts/browser-test.py --lith "$LITH_BIN"
