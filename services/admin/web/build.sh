#!/usr/bin/env bash
# Builds the web admin UI into $1 (CMake's ${CMAKE_BINARY_DIR}/web):
# `npm ci` when node_modules is missing or older than the lockfile, then
# `vite build`. Only the npm registry is needed. Build trees share this
# source folder's node_modules, so one build at a time (flock).
set -euo pipefail
out="${1:?usage: build.sh OUT_DIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
exec 9>"$here/.build.lock"
flock 9
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
mkdir -p "$out"
npx --no-install vite build --logLevel warn --outDir "$out" --emptyOutDir
