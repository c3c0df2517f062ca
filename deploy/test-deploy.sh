#!/usr/bin/env bash
# `make test-deploy`: brings the compose stack up for real on a machine with
# no Docker engine (podman's Docker API + docker-compose): local
# debian:bookworm base image, the web UI staged, `docker-compose build`, `up
# -d` with the demo profile, a Claude request through the published port,
# the admin API and UI, `--scale gateway=2`
# (both replicas answer), `down`. Everything it starts is stopped on exit.
# Prints how long each step took.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

need=()
for tool in podman runc docker-compose debootstrap curl; do
  command -v "$tool" >/dev/null || need+=("$tool")
done
command -v netavark >/dev/null || [ -x /usr/lib/podman/netavark ] || need+=(netavark aardvark-dns)
# netavark sets up container networks by running iptables; without it every
# `up` fails with "netavark: No such file or directory (os error 2)". podman
# only suggests iptables, so a minimal machine does not have it.
command -v iptables >/dev/null || need+=(iptables)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    podman runc docker-compose debootstrap curl netavark aardvark-dns iptables >/dev/null
fi

source "$here/podman-env.sh"
project=${KB_DEPLOY_PROJECT:-kbdeploytest}
export KB_PORT=${KB_PORT:-39300}
export KB_ADMIN_PORT=${KB_ADMIN_PORT:-39301}
unset KB_CONFIG_DIR # the demo config volume
compose() { docker-compose -p "$project" -f "$here/docker-compose.yml" --profile demo "$@"; }

t0=$(date +%s)
step_start=$t0
step() {
  local now; now=$(date +%s)
  printf '[test-deploy] %-34s %4ss\n' "$1" "$((now - step_start))"
  step_start=$now
}

cleanup() {
  local rc=$?
  if [ $rc -ne 0 ] && [ -n "${DOCKER_HOST:-}" ]; then
    echo "--- compose logs (failure) ---"
    compose logs --no-color --tail=40 2>/dev/null || true
  fi
  [ -n "${DOCKER_HOST:-}" ] && compose down -v --remove-orphans -t 10 >/dev/null 2>&1 || true
  podman_service_stop
  exit $rc
}
trap cleanup EXIT INT TERM

podman_service_start
step "podman API up"
bash "$here/base-image.sh"
step "base image debian:bookworm"
bash "$here/stage-web-ui.sh" >/dev/null
step "web admin UI staged"
compose build
step "docker-compose build"
compose up -d
step "docker-compose up -d"

body='{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Hello compose"}]}'
claude_request() {
  curl -s -o /tmp/kb-deploy-answer.json -w '%{http_code}' --connect-timeout 2 --max-time 10 \
    "http://127.0.0.1:$KB_PORT/v1/messages" -H 'content-type: application/json' \
    -H 'anthropic-version: 2023-06-01' -H 'x-api-key: demo' -d "$body" || true
}
wait_for_200() {
  local deadline=$((SECONDS + 120))
  while [ $SECONDS -lt $deadline ]; do
    [ "$(claude_request)" = 200 ] && return 0
    sleep 1
  done
  echo "no 200 from the published port within 120 s" >&2
  return 1
}
wait_for_200
grep -q '"text":"Hello from kiro-sim. You said: Hello compose"' /tmp/kb-deploy-answer.json ||
  { echo "unexpected answer: $(cat /tmp/kb-deploy-answer.json)" >&2; exit 1; }
step "Claude request through :$KB_PORT"

# The inter-daemon port is published nowhere.
sup=$(compose ps -q supervisor)
if [ -n "$(podman port "$sup" 2>/dev/null)" ]; then
  echo "the supervisor publishes a port: $(podman port "$sup")" >&2
  exit 1
fi
curl -sf -H 'Authorization: Bearer demo-admin-token' \
  "http://127.0.0.1:$KB_ADMIN_PORT/api/accounts" | grep -q '"id":"demo"' ||
  { echo "admin API does not list the demo account" >&2; exit 1; }
# kiro-admin serves the built UI from the image, not the how-to-build page.
curl -sf "http://127.0.0.1:$KB_ADMIN_PORT/" | grep -q '<div id="app">' ||
  { echo "kiro-admin does not serve the web UI: $(curl -s "http://127.0.0.1:$KB_ADMIN_PORT/" | head -c 300)" >&2; exit 1; }
step "admin API and web UI, private supervisor port"

compose up -d --scale gateway=2 --no-recreate
[ "$(compose ps -q gateway | wc -l)" -eq 2 ] || { echo "expected 2 gateways" >&2; exit 1; }
# Wait until both replicas have answered through the proxy.
served=0
deadline=$((SECONDS + 90))
while [ $SECONDS -lt $deadline ]; do
  for _ in 1 2 3 4; do claude_request >/dev/null; done
  served=$(compose logs --no-color gateway 2>/dev/null |
             grep '/v1/messages 200' | cut -d'|' -f1 | sort -u | wc -l)
  [ "$served" -ge 2 ] && break
  sleep 1
done
[ "$served" -ge 2 ] || { echo "only $served gateway replica(s) answered" >&2; exit 1; }
step "--scale gateway=2, both answer"

compose down -v --remove-orphans -t 10
step "docker-compose down"
echo "[test-deploy] total $(( $(date +%s) - t0 ))s: ok"
