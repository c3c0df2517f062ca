#!/usr/bin/env bash
# Browser tests of the web admin UI: headless Debian chromium driven by
# playwright-core against kiro-bridge + kiro-sim. Binaries from $KB_BIN_DIR,
# screenshots to $KB_ARTIFACTS_DIR. Exits 77 (skipped) without chromium.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
chromium="${KB_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "e2e_web: skipped, no chromium at $chromium (apt-get install chromium)"
  exit 77
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
exec timeout --kill-after=10 540 \
  node --test --test-concurrency=1 --test-timeout=480000 ./*.test.mjs
