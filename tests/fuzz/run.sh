#!/usr/bin/env bash
# Usage: tests/fuzz/run.sh TARGET SECONDS [BUILD_DIR]
# Compiles a libFuzzer target with clang (ASan + UBSan) into
# BUILD_DIR/fuzz-cache (default build/), then fuzzes it for SECONDS.
# Exits 77 (ctest SKIP) when clang or its fuzzer runtime is missing.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 TARGET SECONDS [BUILD_DIR]" >&2
  exit 2
fi
target=$1
seconds=$2
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=$(mkdir -p "${3:-$repo/build}" && cd "${3:-$repo/build}" && pwd)
cache="$build_dir/fuzz-cache"
mkdir -p "$cache"
cd "$repo"

# Target table: sources (globs relative to the repo) and extra link flags
# (shared/common hashes with OpenSSL's libcrypto).
libs=(-lcrypto)
case "$target" in
  eventstream)
    sources=(tests/fuzz/fuzz_eventstream.cpp shared/eventstream/*.cpp shared/common/*.cpp) ;;
  claude_request)
    sources=(tests/fuzz/fuzz_claude_request.cpp shared/claude/*.cpp shared/common/*.cpp)
    libs+=(-lboost_json) ;;
  http_request | http_response)
    sources=(tests/fuzz/fuzz_$target.cpp services/http/http1_reader.cpp services/http/socket_stream.cpp
             shared/common/*.cpp)
    libs+=(-lssl) ;;
  *)
    echo "unknown fuzz target '$target' (known: eventstream, claude_request, http_request, http_response)" >&2
    exit 2 ;;
esac

for s in "${sources[@]}"; do
  if [[ ! -f $s ]]; then
    echo "SKIP: fuzz target '$target' needs $s, which does not exist"
    exit 77
  fi
done

cxx=${KB_FUZZ_CXX:-clang++}
if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "SKIP: $cxx not found; install clang and libclang-rt-14-dev (deploy/install-deps.sh)"
  exit 77
fi
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$repo")

# Probe once that the fuzzer runtime links.
if [[ ! -x $cache/.probe ]]; then
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' \
    >"$cache/probe.cpp"
  if ! "$cxx" "${flags[@]}" "$cache/probe.cpp" -o "$cache/.probe" 2>"$cache/probe.log"; then
    echo "SKIP: $cxx cannot link libFuzzer (install libclang-rt-14-dev):"
    cat "$cache/probe.log"
    exit 77
  fi
fi

binary="$cache/fuzz_$target"
stale=0
if [[ ! -x $binary ]]; then
  stale=1
else
  # Headers count too: any source or header newer than the binary rebuilds.
  if [[ -n $(find "${sources[@]}" shared services/http tests/fuzz -name '*.hpp' -newer "$binary" -print -quit 2>/dev/null) ]] ||
     [[ -n $(find "${sources[@]}" -newer "$binary" -print -quit) ]]; then
    stale=1
  fi
fi
if [[ $stale == 1 ]]; then
  echo "compiling $binary"
  "$cxx" "${flags[@]}" "${sources[@]}" "${libs[@]}" -o "$binary.tmp"
  mv "$binary.tmp" "$binary"
fi

corpus="$cache/corpus_$target"
mkdir -p "$corpus"
seeds="$repo/tests/fuzz/seeds/$target"
corpora=("$corpus")
[[ -d $seeds ]] && corpora+=("$seeds")

# FUZZ_RUNS=N (environment) runs N inputs instead, without a time limit.
budget=(-max_total_time="$seconds")
if [[ -n ${FUZZ_RUNS:-} ]]; then
  budget=(-runs="$FUZZ_RUNS")
  echo "fuzzing $target for $FUZZ_RUNS runs (corpus $corpus)"
else
  echo "fuzzing $target for ${seconds}s (corpus $corpus)"
fi
cd "$cache"
exec "$binary" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$cache/${target}-" "${corpora[@]}"
