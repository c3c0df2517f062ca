#!/usr/bin/env bash
# `make demo`: kiro-bridge in front of the bundled Kiro simulator, with a demo
# account, so the whole path can be tried without Kiro credentials.
# Usage: deploy/demo.sh BUILD_DIR [BRIDGE_PORT] [SIM_PORT]
set -euo pipefail
build=${1:-build}
port=${2:-3000}
sim_port=${3:-3100}
bin="$build/bin"
demo="$build/demo"
mkdir -p "$demo/config"

cat > "$demo/sim-accounts.json" <<JSON
[{"id":"demo","accessToken":"demo-access-token","refreshToken":"demo-refresh-token",
  "authMethod":"social","profileArn":"arn:aws:codewhisperer:us-east-1:000000000000:profile/DEMO",
  "accessTokenExpiresInSeconds":3600,"usageLimit":1000,"currentUsage":0}]
JSON
cat > "$demo/config/server-config.json" <<JSON
{"host":"127.0.0.1","port":$port,"logLevel":"info","workersPerAccount":8,
 "kiro":{"apiBaseUrl":"http://127.0.0.1:$sim_port",
         "socialRefreshUrl":"http://127.0.0.1:$sim_port/refreshToken",
         "idcRefreshUrl":"http://127.0.0.1:$sim_port/token",
         "usageUrl":"http://127.0.0.1:$sim_port"}}
JSON
cat > "$demo/config/kiro-accounts.json" <<JSON
{"version":"1.0.0","accounts":[{"id":"demo","email":"demo@kiro-sim.local",
  "credentials":{"accessToken":"demo-access-token","refreshToken":"demo-refresh-token",
                 "expiresAt":0,"authMethod":"social"},"priority":0}],"groups":[],"tags":[]}
JSON
chmod 600 "$demo/config/kiro-accounts.json"
cp config/model-mapping.json "$demo/config/model-mapping.json"

# Waits for a daemon's ready line in its stdout file; false when it exited
# first (it printed why on stderr) or did not get ready in 20 s.
wait_ready() { # pid file pattern
  for _ in $(seq 200); do
    grep -q "$3" "$2" 2>/dev/null && return 0
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

sim_pid= bridge_pid=
trap 'kill $sim_pid $bridge_pid 2>/dev/null || true; wait 2>/dev/null || true' EXIT INT TERM
"$bin/kiro-sim" --host 127.0.0.1 --port "$sim_port" --accounts "$demo/sim-accounts.json" \
  > "$demo/kiro-sim.out" &
sim_pid=$!
if ! wait_ready $sim_pid "$demo/kiro-sim.out" "kiro-sim listening"; then
  echo "make demo: kiro-sim did not start on port $sim_port (see above); try make demo DEMO_SIM_PORT=N" >&2
  exit 1
fi
"$bin/kiro-bridge" --config-dir "$demo/config" > "$demo/kiro-bridge.out" &
bridge_pid=$!
if ! wait_ready $bridge_pid "$demo/kiro-bridge.out" "kiro-bridge listening"; then
  echo "make demo: kiro-bridge did not start on port $port (see above); try make demo DEMO_PORT=N" >&2
  exit 1
fi
url="http://127.0.0.1:$port"
cat <<TXT

kiro-bridge is serving on $url in front of kiro-sim (demo account).
  web UI   $url/
  metrics  $url/metrics
  health   $url/api/health
  kiroctl  $bin/kiroctl --url $url accounts list
Try:
  curl -s $url/v1/messages -H 'content-type: application/json' \\
    -H 'x-api-key: demo' -H 'anthropic-version: 2023-06-01' \\
    -d '{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"Hello"}]}'
With Claude Code:
  ANTHROPIC_BASE_URL=$url ANTHROPIC_API_KEY=demo claude
Press Ctrl-C to stop.
TXT
wait $bridge_pid
