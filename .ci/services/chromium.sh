#!/usr/bin/env bash
# Debian's chromium for the console's browser tests (tests/Switchyard.Tests/Console): Playwright drives it
# through ExecutablePath, so no browser is ever downloaded. Idempotent; prints only `export` lines on stdout.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (apt-get)" >&2
  apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null 2>&2
fi
bin=$(command -v chromium)
# Bounded check that it runs at all (a broken install fails here, not in the middle of a test).
timeout 60 "$bin" --headless --no-sandbox --disable-gpu --version >&2
echo "export SWITCHYARD_TEST_CHROMIUM=$bin"
