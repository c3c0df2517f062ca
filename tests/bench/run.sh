#!/usr/bin/env bash
# Usage: tests/bench/run.sh BUILD_DIR
# Runs every micro benchmark (BUILD_DIR/bin/bench_*) and prints its output:
# one "metric value" line per measurement.
set -euo pipefail

build_dir=${1:-build}
shopt -s nullglob
benches=("$build_dir"/bin/bench_*)
if [[ ${#benches[@]} -eq 0 ]]; then
  echo "no bench_* binaries in $build_dir/bin; build them first (cmake --build $build_dir)" >&2
  exit 1
fi

echo "## micro benchmarks"
for bench in "${benches[@]}"; do
  [[ -x $bench ]] || continue
  echo "# $(basename "$bench")"
  "$bench"
done

# ---------------------------------------------------------------------------
# Load benchmarks (end-to-end: the service against the Kiro simulator, driven
# by wrk/hyperfine) go below this line. Print the same "metric value" lines.
# ---------------------------------------------------------------------------
echo
bash "$(dirname "${BASH_SOURCE[0]}")/load.sh" "$build_dir"
