#!/usr/bin/env bash
# Browser tests drive Debian's Chromium. Install it when missing and we can;
# in CI a missing browser is an error, elsewhere the browser tests skip loudly.
set -u
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests…"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "${CI:-}" = "true" ]; then
  echo "ERROR: $CHROMIUM is missing and could not be installed; CI requires the browser tests." >&2
  exit 1
fi
echo "WARNING: $CHROMIUM is missing (install it with: sudo apt-get install chromium)." >&2
echo "WARNING: the browser tests (tests/e2e) will be SKIPPED in this run." >&2
exit 0
