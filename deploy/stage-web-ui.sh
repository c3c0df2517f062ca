#!/usr/bin/env bash
# Builds the web admin UI (services/admin/web, Vite) into deploy/web-ui/ so
# that `docker-compose build` puts it into the image. Needs node >= 20.19 and
# npm (`make deps` installs them) and, the first time, the npm registry.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/web-ui"
find "$out" -mindepth 1 ! -name README.md -exec rm -rf {} +
staging=$(mktemp -d /tmp/kb-web-ui.XXXXXX)
trap 'rm -rf "$staging"' EXIT
bash "$here/../services/admin/web/build.sh" "$staging"
[ -f "$staging/index.html" ] || { echo "stage-web-ui: the build produced no index.html" >&2; exit 1; }
cp -r "$staging/." "$out/"
echo "stage-web-ui: $(find "$out" -type f ! -name README.md | wc -l) files in $out"
