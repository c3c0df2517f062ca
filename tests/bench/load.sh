#!/usr/bin/env bash
# Usage: tests/bench/load.sh BUILD_DIR
#
# End-to-end load benchmarks: kiro-bridge in front of kiro-sim versus calling
# kiro-sim directly, side by side, on 127.0.0.1 only. Numbers are reported,
# never asserted (targets are printed next to them). Prints a summary table
# and one machine-readable "load.<name> <value>" line per metric.
#
#   1. non-stream: wrk req/s, p50/p99 (direct /generateAssistantResponse vs
#      gateway /v1/messages), added latency and throughput ratio. The direct
#      side replays the gateway's own upstream request (body and Kiro client
#      headers, read back from the simulator), so both sides cost the
#      simulator the same; a bearer-only request is measured too. For scale,
#      kb-passthrough, the same HTTP stack without translation or actors:
#      each HTTP thread forwards the body to kiro-sim itself (inline), or
#      hands it to a forwarding thread of its own (handoff: the least any
#      design with upstream worker threads pays). What a request costs: CPU
#      µs of kiro-sim and kiro-bridge, context switches host-wide
#   2. stream with 200 deltas: the same comparison
#   3. time to first byte / first text delta, one sequential connection;
#      non-stream latency on one connection and at a fixed rate (open loop,
#      LOAD_RATE req/s over 8 connections, latency from each scheduled start)
#   4. 1,000 concurrent slow streams (20 chunks x 100 ms): errors, completion
#      p50/p99, the gateway's CPU seconds and peak RSS
#   5. idle RSS of kiro-bridge after start, and the CPU that 200 idle
#      keep-alive client connections cost (gateway and simulator alike)
#
# Environment knobs: LOAD_DURATION (wrk seconds per run, default 10),
# LOAD_RATE (the fixed-rate non-stream run's req/s, default 2000),
# LOAD_ROUNDS / LOAD_ROUND_SECONDS (alternating non-stream rounds, 3 x 5 s),
# LOAD_SLOW_STREAMS (default 1000), LOAD_TTFB_REQUESTS (default 2000),
# LOAD_KEEP_LOGS=1 keeps the work directory.
set -euo pipefail

build_dir=${1:-build}
duration=${LOAD_DURATION:-10}
slow_streams=${LOAD_SLOW_STREAMS:-1000}
ttfb_requests=${LOAD_TTFB_REQUESTS:-2000}
rate=${LOAD_RATE:-2000}
rounds=${LOAD_ROUNDS:-3}
round_seconds=${LOAD_ROUND_SECONDS:-5}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

die() {
  echo "load.sh: $*" >&2
  exit 1
}

[[ -d $build_dir ]] || die "build dir $build_dir does not exist"
build_dir=$(cd "$build_dir" && pwd)
sim_bin=$build_dir/bin/kiro-sim
bridge_bin=$build_dir/bin/kiro-bridge
loadgen_bin=$build_dir/bin/kb-loadgen
passthrough_bin=$build_dir/bin/kb-passthrough
for b in "$sim_bin" "$bridge_bin" "$loadgen_bin" "$passthrough_bin"; do
  [[ -x $b ]] || die "missing $b; build it first (cmake --build $build_dir --target kiro-sim kiro-bridge kb-loadgen kb-passthrough)"
done
for tool in wrk curl awk; do
  command -v "$tool" >/dev/null || die "$tool is not installed (make deps installs it)"
done
[[ -f $repo/config/model-mapping.json ]] || die "missing $repo/config/model-mapping.json"

# 1,000 client connections + 1,100 upstream connections + server sockets.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(($(ulimit -n) >= 4096)) || die "open-file limit $(ulimit -n) is below 4096; raise it (ulimit -n)"

work=$(mktemp -d /tmp/kb-load.XXXXXX)
pids=()

stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  for pid in "${pids[@]+"${pids[@]}"}"; do stop_pid "$pid"; done
  wait 2>/dev/null || true
  if [[ $rc -ne 0 || ${LOAD_KEEP_LOGS:-0} == 1 ]]; then
    echo "load.sh: logs kept in $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_daemon NAME PATTERN CMD... : starts CMD in the background, waits up to
# 15 s for a stdout line matching PATTERN and leaves that line in $started_line.
# (Not called in a subshell, so that the EXIT trap knows the pid.)
started_line=
start_daemon() {
  local name=$1 pattern=$2
  shift 2
  local log=$work/$name.log
  "$@" >"$log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  echo "$pid" >"$work/$name.pid"
  for _ in $(seq 150); do
    if grep -q "$pattern" "$log"; then
      started_line=$(grep -m1 "$pattern" "$log")
      echo "# $started_line"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "load.sh: $name failed to start; its log:" >&2
  tail -n 30 "$log" >&2
  exit 1
}

port_of() { sed -n 's/.*127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' <<<"$1" | head -n1; }

proc_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# utime and stime of PID in clock ticks (fields 14 and 15; the comm may hold spaces).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12, $13 }'; }

# cost_snapshot: kiro-sim's and kiro-bridge's CPU ticks (user + system) and the
# host's context switches so far; cost_per_request NAME BEFORE AFTER puts what
# a request of run NAME cost in between (CPU µs of each, switches host-wide).
cost_snapshot() {
  echo "$(cpu_ticks "$sim_pid" | awk '{ print $1 + $2 }') $(cpu_ticks "$gw_pid" | awk '{ print $1 + $2 }')" \
    "$(awk '$1 == "ctxt" { print $2 }' /proc/stat)"
}
cost_per_request() {
  local name=$1 requests=${metric[${1}_requests]}
  read -r sim0 gw0 cs0 <<<"$2"
  read -r sim1 gw1 cs1 <<<"$3"
  local us_per_tick
  us_per_tick=$(calc "1000000 / $(getconf CLK_TCK)")
  put "${name}_sim_cpu_us_per_request" "$(calc "($sim1 - $sim0) * $us_per_tick / $requests")"
  put "${name}_bridge_cpu_us_per_request" "$(calc "($gw1 - $gw0) * $us_per_tick / $requests")"
  put "${name}_switches_per_request" "$(calc "($cs1 - $cs0) / $requests")"
}

# Host-wide count of connections the kernel refused because a listen queue was
# full (TcpExt ListenOverflows); other processes on the host count too.
listen_overflows() {
  awk '$1 == "TcpExt:" { if (!n) { for (i = 2; i <= NF; i++) if ($i == "ListenOverflows") col = i; n = 1 }
                         else { print $col + 0; exit } }' /proc/net/netstat
}

declare -A metric
put() {
  metric[$1]=$2
  echo "load.$1 $2"
}
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }

# ---------------------------------------------------------------------------
# Fixtures: 10 accounts in the simulator; the bridge gets the first N.
# ---------------------------------------------------------------------------
profile_arn="arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK"
account_count=10
{
  echo "["
  for i in $(seq 1 $account_count); do
    sep=","
    ((i == account_count)) && sep=""
    printf '{"id":"bench-%02d","accessToken":"bench-access-%02d-0123456789abcdef","refreshToken":"bench-refresh-%02d-0123456789abcdef","authMethod":"social","profileArn":"%s","accessTokenExpiresInSeconds":86400,"usageLimit":100000000,"currentUsage":0}%s\n' \
      "$i" "$i" "$i" "$profile_arn" "$sep"
  done
  echo "]"
} >"$work/sim-accounts.json"
direct_token="bench-access-01-0123456789abcdef"

# make_bridge_config DIR ACCOUNTS WORKERS SIMPORT
make_bridge_config() {
  local dir=$1 accounts=$2 workers=$3 sim_port=$4
  local expires_ms=$((($(date +%s) + 86400) * 1000))
  mkdir -p "$dir"
  cp "$repo/config/model-mapping.json" "$dir/model-mapping.json"
  cat >"$dir/server-config.json" <<EOF
{
  "host": "127.0.0.1",
  "port": 3000,
  "workersPerAccount": $workers,
  "queueTimeoutMs": 30000,
  "logLevel": "warn",
  "kiro": {
    "apiBaseUrl": "http://127.0.0.1:$sim_port",
    "socialRefreshUrl": "http://127.0.0.1:$sim_port/refreshToken",
    "idcRefreshUrl": "http://127.0.0.1:$sim_port/token",
    "usageUrl": "http://127.0.0.1:$sim_port"
  }
}
EOF
  {
    echo '{"version":"1.0.0","accounts":['
    for i in $(seq 1 "$accounts"); do
      sep=","
      ((i == accounts)) && sep=""
      printf '{"id":"bench-%02d","email":"bench-%02d@example.com","credentials":{"accessToken":"bench-access-%02d-0123456789abcdef","refreshToken":"bench-refresh-%02d-0123456789abcdef","expiresAt":%s,"authMethod":"social","profileArn":"%s"}}%s\n' \
        "$i" "$i" "$i" "$i" "$expires_ms" "$profile_arn" "$sep"
    done
    echo ']}'
  } >"$dir/kiro-accounts.json"
}

# Request bodies. The simulator's scripts match on the user's text. The
# direct side replays the request the gateway sent upstream for the same
# Claude request (capture_direct: its body and Kiro client headers), so both
# sides ask the simulator for the same work; direct-minimal.json with only a
# bearer is measured once for comparison with earlier runs.
printf '{"conversationState":{"chatTriggerType":"MANUAL","conversationId":"6f0d8f2e-1c2b-4d3a-9e8f-0a1b2c3d4e5f","currentMessage":{"userInputMessage":{"content":"hi","modelId":"claude-sonnet-4.5","origin":"AI_EDITOR"}}},"profileArn":"%s"}' \
  "$profile_arn" >"$work/direct-minimal.json"
claude_body() {
  printf '{"model":"claude-sonnet-4-5","max_tokens":256,"stream":%s,"messages":[{"role":"user","content":"%s"}]}' "$2" "$1"
}
claude_body "hi" false >"$work/gw-plain.json"
claude_body "hi" true >"$work/gw-plain-stream.json"
claude_body "bench stream200" true >"$work/gw-stream200.json"
claude_body "bench slow20" true >"$work/gw-slow.json"
minimal_headers="Authorization: Bearer $direct_token"
direct_headers=
gw_headers="x-api-key: bench|anthropic-version: 2023-06-01"

# ---------------------------------------------------------------------------
# Measurement helpers
# ---------------------------------------------------------------------------

# wrk_value FILE PERCENT: a latency percentile of wrk --latency, in ms.
wrk_percentile_ms() {
  awk -v p="$2%" '$1 == p {
      v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
      f = (unit == "us") ? 0.001 : (unit == "ms") ? 1 : (unit == "s") ? 1000 : (unit == "m") ? 60000 : -1
      printf "%.3f", v * f
    }' "$1"
}
wrk_errors() {
  awk '/Non-2xx or 3xx responses:/ { n += $NF }
       /Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
       END { print n + 0 }' "$1"
}

# run_wrk NAME URL BODY HEADERS CONNECTIONS [SECONDS]
run_wrk() {
  local name=$1 url=$2 body=$3 headers=$4 conns=$5 seconds=${6:-$duration}
  local out=$work/wrk-$name.txt
  BODY_FILE=$body HEADERS=$headers wrk -t2 -c"$conns" -d"${seconds}s" --timeout 10s --latency \
    -s "$here/load/post.lua" "$url" >"$out" 2>&1 || die "wrk $name failed: $(tail -n 5 "$out")"
  put "${name}_rps" "$(awk '/^Requests\/sec:/ { printf "%.1f", $2 }' "$out")"
  put "${name}_p50_ms" "$(wrk_percentile_ms "$out" 50)"
  put "${name}_p99_ms" "$(wrk_percentile_ms "$out" 99)"
  put "${name}_requests" "$(awk '/requests in/ { print $1 }' "$out")"
  put "${name}_errors" "$(wrk_errors "$out")"
}

# run_loadgen NAME PORT PATH BODY HEADERS ARGS... : runs kb-loadgen, keeps
# its "metric value" lines in $work/loadgen-NAME.txt.
run_loadgen() {
  local name=$1 port=$2 path=$3 body=$4 headers=$5
  shift 5
  local args=(--port "$port" --path "$path" --body-file "$body" --header "Content-Type: application/json")
  local h
  IFS='|' read -ra hs <<<"$headers"
  for h in "${hs[@]}"; do args+=(--header "$h"); done
  "$loadgen_bin" "${args[@]}" "$@" >"$work/loadgen-$name.txt" 2>"$work/loadgen-$name.err" ||
    die "kb-loadgen $name failed: $(tail -n 5 "$work/loadgen-$name.err")"
  if [[ -s $work/loadgen-$name.err ]]; then
    echo "# kb-loadgen $name reported errors (first ones):" >&2
    head -n 5 "$work/loadgen-$name.err" >&2
  fi
}
lg() { awk -v k="$2" '$1 == k { print $2 }' "$work/loadgen-$1.txt"; }

# run_both NAME KIND ARGS... : the same kb-loadgen run against kiro-sim
# (NAME_direct) and the gateway (NAME_gateway), then NAME_<side>_{errors,
# p50_ms,p99_ms} for both. KIND is plain ("hi", JSON answer) or slow (the
# 20 x 100 ms stream).
run_both() {
  local name=$1 kind=$2
  shift 2
  local gw_expect=end_turn
  [[ $kind == slow ]] && gw_expect=message_stop
  run_loadgen "${name}_direct" "$sim_port" /generateAssistantResponse "$work/direct-$kind.json" \
    "$direct_headers" "$@" --expect contextUsageEvent
  run_loadgen "${name}_gateway" "$gw_port" /v1/messages "$work/gw-$kind.json" "$gw_headers" \
    "$@" --expect "$gw_expect"
  local side
  for side in direct gateway; do
    put "${name}_${side}_errors" "$(lg "${name}_$side" errors)"
    put "${name}_${side}_p50_ms" "$(lg "${name}_$side" total_p50_ms)"
    put "${name}_${side}_p99_ms" "$(lg "${name}_$side" total_p99_ms)"
  done
}

count_of() { { grep -a -o "$2" "$1" || true; } | wc -l; }

# A single request must be complete and right before it is measured.
check_direct() {
  local body=$1 want_deltas=$2 out=$work/check-direct.bin
  curl -sS -o "$out" -w '%{http_code}' -X POST "http://127.0.0.1:$sim_port/generateAssistantResponse" \
    -H "Authorization: Bearer $direct_token" -H 'Content-Type: application/json' \
    --data-binary @"$body" | grep -qx 200 || die "direct check of $(basename "$body") did not answer 200"
  local n
  n=$(count_of "$out" assistantResponseEvent)
  [[ $want_deltas == any || $n == "$want_deltas" ]] ||
    die "direct check of $(basename "$body"): $n text events, expected $want_deltas"
}
check_gateway() {
  local body=$1 want_deltas=$2 expect=$3 out=$work/check-gateway.txt
  local code
  code=$(curl -sS -o "$out" -w '%{http_code}' -X POST "http://127.0.0.1:$gw_port/v1/messages" \
    -H 'Content-Type: application/json' -H 'x-api-key: bench' -H 'anthropic-version: 2023-06-01' \
    --data-binary @"$body") || die "gateway check of $(basename "$body"): curl failed"
  [[ $code == 200 ]] || die "gateway check of $(basename "$body") answered $code: $(head -c 400 "$out")"
  grep -q "$expect" "$out" || die "gateway check of $(basename "$body"): no \"$expect\" in $(head -c 400 "$out")"
  # The gateway may legitimately merge deltas; report a difference, do not stop.
  if [[ $want_deltas != any ]]; then
    local n
    n=$(count_of "$out" 'event: content_block_delta')
    [[ $n == "$want_deltas" ]] ||
      echo "# note: the gateway sent $n content_block_delta events for $want_deltas upstream chunks ($(basename "$body"))"
  fi
}

# capture_direct KIND: after a gateway request, its upstream request becomes
# direct-KIND.json and $direct_headers (the same Kiro client headers for all).
capture_direct() {
  direct_headers=$(node "$here/load/upstream_request.mjs" "$sim_port" "$direct_token" "$work/direct-$1.json") ||
    die "cannot read the gateway's upstream request from kiro-sim"
}

sim_status_counts() { curl -sS "http://127.0.0.1:$sim_port/__sim/stats" | sed -n 's/.*"byStatus":{\([^}]*\)}.*/\1/p' | tr -d '"'; }

# ---------------------------------------------------------------------------
# Start the simulator (threads for 1,000 direct + 1,100 upstream connections)
# ---------------------------------------------------------------------------
echo "## load benchmarks (wrk ${duration}s per run, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
start_daemon sim "kiro-sim listening" "$sim_bin" --host 127.0.0.1 --port 0 --threads 2400 \
  --accounts "$work/sim-accounts.json"
sim_port=$(port_of "$started_line")
[[ -n $sim_port ]] || die "cannot read kiro-sim's port from: $started_line"
sim_pid=$(cat "$work/sim.pid")

text200=$(printf 'word %.0s' $(seq 200))
script() {
  local code
  code=$(curl -sS -o "$work/script.out" -w '%{http_code}' -X POST "http://127.0.0.1:$sim_port/__sim/script" \
    -H 'Content-Type: application/json' --data-binary "$1")
  [[ $code == 200 ]] || die "scripting the simulator failed ($code): $(cat "$work/script.out")"
}
script "{\"match\":{\"contentContains\":\"bench stream200\"},\"times\":-1,\"response\":{\"kind\":\"text\",\"text\":\"$text200\",\"chunks\":200,\"chunkDelayMs\":0,\"firstByteDelayMs\":0}}"
script "{\"match\":{\"contentContains\":\"bench slow20\"},\"times\":-1,\"response\":{\"kind\":\"text\",\"text\":\"$text200\",\"chunks\":20,\"chunkDelayMs\":100}}"

# ---------------------------------------------------------------------------
# Phase A: 4 accounts x 16 workers
# ---------------------------------------------------------------------------
make_bridge_config "$work/bridge-small" 4 16 "$sim_port"
start_daemon bridge-small "kiro-bridge listening" "$bridge_bin" --config-dir "$work/bridge-small" \
  --host 127.0.0.1 --port 0
gw_port=$(port_of "$started_line")
gw_pid=$(cat "$work/bridge-small.pid")
sleep 1
put idle_rss_4x16_mb "$(calc "$(proc_field "$gw_pid" VmRSS) / 1024")"

check_gateway "$work/gw-stream200.json" 200 'event: message_stop'
capture_direct stream200
check_gateway "$work/gw-plain-stream.json" any 'event: message_stop'
check_gateway "$work/gw-plain.json" any '"stop_reason":"end_turn"'
capture_direct plain
check_direct "$work/direct-plain.json" any
check_direct "$work/direct-stream200.json" 200

echo "# 1. non-stream, wrk -t2 -c32"
cost_before=$(cost_snapshot)
run_wrk nonstream_direct "http://127.0.0.1:$sim_port/generateAssistantResponse" "$work/direct-plain.json" "$direct_headers" 32
cost_per_request nonstream_direct "$cost_before" "$(cost_snapshot)"
run_wrk nonstream_direct_minimal "http://127.0.0.1:$sim_port/generateAssistantResponse" "$work/direct-minimal.json" "$minimal_headers" 32
cost_before=$(cost_snapshot)
run_wrk nonstream_gateway "http://127.0.0.1:$gw_port/v1/messages" "$work/gw-plain.json" "$gw_headers" 32
cost_per_request nonstream_gateway "$cost_before" "$(cost_snapshot)"
for mode in inline handoff; do
  start_daemon "passthrough-$mode" "kb-passthrough listening" "$passthrough_bin" "$sim_port" "$mode"
  passthrough_port=$(port_of "$started_line")
  run_wrk "nonstream_passthrough_$mode" "http://127.0.0.1:$passthrough_port/v1/messages" "$work/direct-plain.json" "$direct_headers" 32
  stop_pid "$(cat "$work/passthrough-$mode.pid")"
  put "nonstream_passthrough_${mode}_rps_ratio" "$(calc "${metric[nonstream_passthrough_${mode}_rps]} / ${metric[nonstream_direct_rps]}")"
done
# This VM's throughput drifts from one run to the next; short direct and
# gateway runs alternate, and the median of the rounds' ratios is reported.
round_ratios=()
for r in $(seq "$rounds"); do
  run_wrk "nonstream_direct_round$r" "http://127.0.0.1:$sim_port/generateAssistantResponse" "$work/direct-plain.json" "$direct_headers" 32 "$round_seconds" >/dev/null
  run_wrk "nonstream_gateway_round$r" "http://127.0.0.1:$gw_port/v1/messages" "$work/gw-plain.json" "$gw_headers" 32 "$round_seconds" >/dev/null
  round_ratios+=("$(calc "${metric[nonstream_gateway_round${r}_rps]} / ${metric[nonstream_direct_round${r}_rps]}")")
done
put nonstream_rps_ratio_rounds "$(IFS=,; echo "${round_ratios[*]}")"
put nonstream_rps_ratio_median "$(printf '%s\n' "${round_ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"
put nonstream_rps_ratio_of_minimal "$(calc "${metric[nonstream_gateway_rps]} / ${metric[nonstream_direct_minimal_rps]}")"
put nonstream_gateway_of_handoff_ratio "$(calc "${metric[nonstream_gateway_rps]} / ${metric[nonstream_passthrough_handoff_rps]}")"
echo "# 2. stream, 200 deltas, wrk -t2 -c32"
run_wrk stream200_direct "http://127.0.0.1:$sim_port/generateAssistantResponse" "$work/direct-stream200.json" "$direct_headers" 32
run_wrk stream200_gateway "http://127.0.0.1:$gw_port/v1/messages" "$work/gw-stream200.json" "$gw_headers" 32
for kind in nonstream stream200; do
  put "${kind}_added_p50_ms" "$(calc "${metric[${kind}_gateway_p50_ms]} - ${metric[${kind}_direct_p50_ms]}")"
  put "${kind}_added_p99_ms" "$(calc "${metric[${kind}_gateway_p99_ms]} - ${metric[${kind}_direct_p99_ms]}")"
  put "${kind}_rps_ratio" "$(calc "${metric[${kind}_gateway_rps]} / ${metric[${kind}_direct_rps]}")"
done

echo "# 3. time to first byte, 1 connection, $ttfb_requests sequential streams"
run_loadgen ttfb_direct "$sim_port" /generateAssistantResponse "$work/direct-plain.json" "$direct_headers" \
  --connections 1 --requests "$ttfb_requests" --warmup-requests 50 \
  --marker assistantResponseEvent --expect contextUsageEvent
run_loadgen ttfb_gateway "$gw_port" /v1/messages "$work/gw-plain-stream.json" "$gw_headers" \
  --connections 1 --requests "$ttfb_requests" --warmup-requests 50 \
  --marker content_block_delta --expect message_stop
for side in direct gateway; do
  put "ttfb_${side}_errors" "$(lg "ttfb_$side" errors)"
  put "ttfb_${side}_p50_ms" "$(lg "ttfb_$side" ttfb_p50_ms)"
  put "ttfb_${side}_p99_ms" "$(lg "ttfb_$side" ttfb_p99_ms)"
  put "first_delta_${side}_p50_ms" "$(lg "ttfb_$side" marker_p50_ms)"
  put "ttfb_${side}_complete_p50_ms" "$(lg "ttfb_$side" total_p50_ms)"
done
# Unloaded non-stream latency: one connection, sequential requests.
run_loadgen seq_nonstream_gateway "$gw_port" /v1/messages "$work/gw-plain.json" "$gw_headers" \
  --connections 1 --requests "$ttfb_requests" --warmup-requests 50 --expect end_turn
put nonstream_c1_gateway_errors "$(lg seq_nonstream_gateway errors)"
put nonstream_c1_direct_p50_ms "${metric[ttfb_direct_complete_p50_ms]}"
put nonstream_c1_gateway_p50_ms "$(lg seq_nonstream_gateway total_p50_ms)"
put nonstream_c1_gateway_p99_ms "$(lg seq_nonstream_gateway total_p99_ms)"
put nonstream_c1_direct_p99_ms "$(lg ttfb_direct total_p99_ms)"
put nonstream_c1_added_p50_ms "$(calc "${metric[nonstream_c1_gateway_p50_ms]} - ${metric[nonstream_c1_direct_p50_ms]}")"
put nonstream_c1_added_p99_ms "$(calc "${metric[nonstream_c1_gateway_p99_ms]} - ${metric[nonstream_c1_direct_p99_ms]}")"
# Loaded but not saturated: a fixed request rate, the same for both sides
# (wrk at c32 saturates the 2 cores, so its latencies are mostly queueing).
run_both nonstream_rate plain --connections 8 --requests $((rate * duration / 8)) \
  --warmup-requests 20 --rate "$rate"
put nonstream_rate_direct_rps "$(lg nonstream_rate_direct rps)"
put nonstream_rate_gateway_rps "$(lg nonstream_rate_gateway rps)"
put nonstream_rate_added_p50_ms "$(calc "${metric[nonstream_rate_gateway_p50_ms]} - ${metric[nonstream_rate_direct_p50_ms]}")"
put nonstream_rate_added_p99_ms "$(calc "${metric[nonstream_rate_gateway_p99_ms]} - ${metric[nonstream_rate_direct_p99_ms]}")"
put ttfb_added_p50_ms "$(calc "${metric[ttfb_gateway_p50_ms]} - ${metric[ttfb_direct_p50_ms]}")"
put first_delta_added_p50_ms "$(calc "${metric[first_delta_gateway_p50_ms]} - ${metric[first_delta_direct_p50_ms]}")"

# Idle keep-alive connections: one request each, then 3 s of silence.
echo "# 5. 200 idle keep-alive connections for 3 s: CPU of the server holding them"
idle_args=(--connections 200 --requests 1 --warmup-requests 1 --ramp-ms 200 --idle-s 3)
run_loadgen idle_direct "$sim_port" /generateAssistantResponse "$work/direct-plain.json" "$direct_headers" \
  "${idle_args[@]}" --watch-pid "$(cat "$work/sim.pid")" --expect contextUsageEvent
run_loadgen idle_gateway "$gw_port" /v1/messages "$work/gw-plain.json" "$gw_headers" \
  "${idle_args[@]}" --watch-pid "$gw_pid" --expect end_turn
put idle_keepalive_direct_cores "$(lg idle_direct idle_watch_cpu_cores)"
put idle_keepalive_gateway_cores "$(lg idle_gateway idle_watch_cpu_cores)"

[[ $(cat "/proc/$gw_pid/stat" 2>/dev/null) ]] || die "kiro-bridge (4x16) died during the run; log: $(tail -n 20 "$work/bridge-small.log")"
stop_pid "$gw_pid"

# ---------------------------------------------------------------------------
# Phase B: 10 accounts x 110 workers, 1,000 concurrent slow streams
# ---------------------------------------------------------------------------
make_bridge_config "$work/bridge-large" 10 110 "$sim_port"
start_daemon bridge-large "kiro-bridge listening" "$bridge_bin" --config-dir "$work/bridge-large" \
  --host 127.0.0.1 --port 0
gw_port=$(port_of "$started_line")
gw_pid=$(cat "$work/bridge-large.pid")
sleep 1
put idle_rss_10x110_mb "$(calc "$(proc_field "$gw_pid" VmRSS) / 1024")"
check_gateway "$work/gw-slow.json" 20 'event: message_stop'
capture_direct slow
check_direct "$work/direct-slow.json" 20

# Round 1 opens the connections spread over 2 s (httplib's listen backlog is
# 5), round 2 fires all streams at one instant on those connections. A third
# run opens every connection at the same instant ("burst").
echo "# 4. $slow_streams concurrent slow streams (20 chunks x 100 ms): ramped round, simultaneous round, burst"
slow_args=(--connections "$slow_streams" --requests 1 --warmup-requests 1 --ramp-ms 2000 --timeout-s 60)
run_loadgen slow_direct "$sim_port" /generateAssistantResponse "$work/direct-slow.json" "$direct_headers" \
  "${slow_args[@]}" --expect contextUsageEvent
read -r utime_before stime_before <<<"$(cpu_ticks "$gw_pid")"
overflows_before=$(listen_overflows)
run_loadgen slow_gateway "$gw_port" /v1/messages "$work/gw-slow.json" "$gw_headers" \
  "${slow_args[@]}" --expect message_stop
ticks_after=$(cpu_ticks "$gw_pid") || die "kiro-bridge (10x110) died during the slow streams; log: $(tail -n 20 "$work/bridge-large.log")"
read -r utime_after stime_after <<<"$ticks_after"
put slow_host_listen_overflows "$(($(listen_overflows) - overflows_before))"
for side in direct gateway; do
  put "slow_${side}_errors" "$(lg "slow_$side" errors)"
  put "slow_${side}_ramped_errors" "$(lg "slow_$side" warmup_errors)"
  put "slow_${side}_p50_ms" "$(lg "slow_$side" total_p50_ms)"
  put "slow_${side}_p99_ms" "$(lg "slow_$side" total_p99_ms)"
  put "slow_${side}_max_ms" "$(lg "slow_$side" total_max_ms)"
  put "slow_${side}_ramped_p50_ms" "$(lg "slow_$side" warmup_total_p50_ms)"
  put "slow_${side}_ramped_p99_ms" "$(lg "slow_$side" warmup_total_p99_ms)"
done
put slow_p99_ratio "$(calc "${metric[slow_gateway_p99_ms]} / ${metric[slow_direct_p99_ms]}")"
put slow_ramped_p99_ratio "$(calc "${metric[slow_gateway_ramped_p99_ms]} / ${metric[slow_direct_ramped_p99_ms]}")"
hz=$(getconf CLK_TCK)
put slow_gateway_cpu_s "$(calc "($utime_after + $stime_after - $utime_before - $stime_before) / $hz")"
put slow_gateway_cpu_user_s "$(calc "($utime_after - $utime_before) / $hz")"
put slow_gateway_cpu_sys_s "$(calc "($stime_after - $stime_before) / $hz")"
put slow_gateway_cpu_ms_per_stream "$(calc "${metric[slow_gateway_cpu_s]} * 1000 / (2 * $slow_streams)")"
put slow_gateway_peak_rss_mb "$(calc "$(proc_field "$gw_pid" VmHWM) / 1024")"
put slow_gateway_threads "$(proc_field "$gw_pid" Threads)"
run_both burst slow --connections "$slow_streams" --requests 1 --timeout-s 60
kill -0 "$gw_pid" 2>/dev/null || die "kiro-bridge (10x110) died during the burst; log: $(tail -n 20 "$work/bridge-large.log")"
put sim_status_counts "$(sim_status_counts)"

# ---------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------
m() { echo "${metric[$1]:-n/a}"; }
echo
echo "## summary (direct = kiro-sim alone, sent the gateway's own upstream requests; gateway = kiro-bridge -> kiro-sim)"
printf '%-34s %12s %12s %12s  %s\n' "metric" "direct" "gateway" "delta/ratio" "target"
row() { printf '%-34s %12s %12s %12s  %s\n' "$@"; }
row "non-stream req/s (c32)" "$(m nonstream_direct_rps)" "$(m nonstream_gateway_rps)" "$(m nonstream_rps_ratio)" "ratio >= 0.5"
row "  median of $rounds alternating ${round_seconds} s rounds" "" "" "$(m nonstream_rps_ratio_median)" "ratio >= 0.5 ($(m nonstream_rps_ratio_rounds))"
row "  direct with a bearer only" "$(m nonstream_direct_minimal_rps)" "" "$(m nonstream_rps_ratio_of_minimal)" "earlier runs' direct side"
row "  forwarder, no hand-off" "" "$(m nonstream_passthrough_inline_rps)" "$(m nonstream_passthrough_inline_rps_ratio)" "scale: the HTTP stack's ceiling"
row "  forwarder, one thread hand-off" "" "$(m nonstream_passthrough_handoff_rps)" "$(m nonstream_passthrough_handoff_rps_ratio)" "scale: ceiling with worker threads"
row "  gateway / one-hand-off forwarder" "" "" "$(m nonstream_gateway_of_handoff_ratio)" "share of that ceiling"
row "  kiro-sim CPU µs per request" "$(m nonstream_direct_sim_cpu_us_per_request)" "$(m nonstream_gateway_sim_cpu_us_per_request)" "" ""
row "  kiro-bridge CPU µs per request" "" "$(m nonstream_gateway_bridge_cpu_us_per_request)" "" ""
row "  context switches per request" "$(m nonstream_direct_switches_per_request)" "$(m nonstream_gateway_switches_per_request)" "" "host-wide"
row "non-stream p50 ms" "$(m nonstream_direct_p50_ms)" "$(m nonstream_gateway_p50_ms)" "$(m nonstream_added_p50_ms)" "added <= 0.3"
row "non-stream p99 ms" "$(m nonstream_direct_p99_ms)" "$(m nonstream_gateway_p99_ms)" "$(m nonstream_added_p99_ms)" "added <= 2"
row "non-stream errors" "$(m nonstream_direct_errors)" "$(m nonstream_gateway_errors)" "" "0"
row "stream200 req/s (c32)" "$(m stream200_direct_rps)" "$(m stream200_gateway_rps)" "$(m stream200_rps_ratio)" "ratio >= 0.5"
row "stream200 p50 ms" "$(m stream200_direct_p50_ms)" "$(m stream200_gateway_p50_ms)" "$(m stream200_added_p50_ms)" ""
row "stream200 p99 ms" "$(m stream200_direct_p99_ms)" "$(m stream200_gateway_p99_ms)" "$(m stream200_added_p99_ms)" ""
row "stream200 errors" "$(m stream200_direct_errors)" "$(m stream200_gateway_errors)" "" "0"
row "non-stream p50 ms, 1 conn" "$(m nonstream_c1_direct_p50_ms)" "$(m nonstream_c1_gateway_p50_ms)" "$(m nonstream_c1_added_p50_ms)" "added <= 0.3"
row "non-stream p99 ms, 1 conn" "$(m nonstream_c1_direct_p99_ms)" "$(m nonstream_c1_gateway_p99_ms)" "$(m nonstream_c1_added_p99_ms)" "added <= 2"
row "non-stream p50 ms, $rate req/s" "$(m nonstream_rate_direct_p50_ms)" "$(m nonstream_rate_gateway_p50_ms)" "$(m nonstream_rate_added_p50_ms)" "added <= 0.3"
row "non-stream p99 ms, $rate req/s" "$(m nonstream_rate_direct_p99_ms)" "$(m nonstream_rate_gateway_p99_ms)" "$(m nonstream_rate_added_p99_ms)" "added <= 2"
row "  errors, achieved req/s" "$(m nonstream_rate_direct_errors) $(m nonstream_rate_direct_rps)" "$(m nonstream_rate_gateway_errors) $(m nonstream_rate_gateway_rps)" "" ""
row "TTFB p50 ms" "$(m ttfb_direct_p50_ms)" "$(m ttfb_gateway_p50_ms)" "$(m ttfb_added_p50_ms)" ""
row "first text delta p50 ms" "$(m first_delta_direct_p50_ms)" "$(m first_delta_gateway_p50_ms)" "$(m first_delta_added_p50_ms)" ""
row "$slow_streams slow streams errors" "$(m slow_direct_errors)" "$(m slow_gateway_errors)" "" "0"
row "  errors (ramped round)" "$(m slow_direct_ramped_errors)" "$(m slow_gateway_ramped_errors)" "" "0"
row "  completion p50 ms (simultaneous)" "$(m slow_direct_p50_ms)" "$(m slow_gateway_p50_ms)" "" ""
row "  completion p99 ms (simultaneous)" "$(m slow_direct_p99_ms)" "$(m slow_gateway_p99_ms)" "$(m slow_p99_ratio)" "ratio <= 1.1"
row "  completion p99 ms (ramped)" "$(m slow_direct_ramped_p99_ms)" "$(m slow_gateway_ramped_p99_ms)" "$(m slow_ramped_p99_ratio)" ""
row "  burst connect: errors" "$(m burst_direct_errors)" "$(m burst_gateway_errors)" "" "0"
row "  burst connect: p99 ms" "$(m burst_direct_p99_ms)" "$(m burst_gateway_p99_ms)" "" ""
row "  gateway CPU s (both rounds)" "" "$(m slow_gateway_cpu_s)" "" ""
row "    of which user / sys" "" "$(m slow_gateway_cpu_user_s)" "$(m slow_gateway_cpu_sys_s)" ""
row "  listen-queue overflows (host)" "" "$(m slow_host_listen_overflows)" "" ""
row "  gateway peak RSS MB" "" "$(m slow_gateway_peak_rss_mb)" "" ""
row "200 idle keep-alive conns, cores" "$(m idle_keepalive_direct_cores)" "$(m idle_keepalive_gateway_cores)" "" ""
row "idle RSS MB (4 acc x 16)" "" "$(m idle_rss_4x16_mb)" "" ""
row "idle RSS MB (10 acc x 110)" "" "$(m idle_rss_10x110_mb)" "" ""
