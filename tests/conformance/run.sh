#!/usr/bin/env bash
# Conformance suite: the official Anthropic SDK and Claude Code against
# kiro-bridge + kiro-sim. Binaries from $KB_BIN_DIR (default build/bin).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
if [ ! -d node_modules ]; then
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
  else
    npm install --no-audit --no-fund --loglevel=error >/dev/null
  fi
fi
# Each file gets 3 minutes; the whole suite stays under 6.
exec timeout --kill-after=10 360 \
  node --test --test-concurrency=1 --test-timeout=180000 ./*.test.mjs
