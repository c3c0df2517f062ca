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

"$bin/kiro-sim" --host 127.0.0.1 --port "$sim_port" --accounts "$demo/sim-accounts.json" &
sim_pid=$!
trap 'kill $sim_pid $bridge_pid 2>/dev/null || true; wait 2>/dev/null || true' EXIT INT TERM
sleep 0.5
"$bin/kiro-bridge" --config-dir "$demo/config" &
bridge_pid=$!
sleep 1
cat <<TXT

kiro-bridge is serving on http://127.0.0.1:$port in front of kiro-sim (demo account).
Try:
  curl -s http://127.0.0.1:$port/v1/messages -H 'content-type: application/json' \\
    -H 'x-api-key: demo' -H 'anthropic-version: 2023-06-01' \\
    -d '{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"Hello"}]}'
With Claude Code:
  ANTHROPIC_BASE_URL=http://127.0.0.1:$port ANTHROPIC_API_KEY=demo claude
Accounts: curl -s http://127.0.0.1:$port/api/accounts
Press Ctrl-C to stop.
TXT
wait $bridge_pid
