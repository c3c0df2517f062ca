# Sourced by the deploy scripts: podman as a Docker engine on a machine with
# no Docker daemon. runc instead of crun (crun fails on setrlimit/cgroups
# here) and explicit ulimits (within this host's hard limits), via a
# containers.conf of our own.
# Sets CONTAINERS_CONF; podman_service_start / podman_service_stop run the
# Docker-compatible API socket that docker-compose talks to (DOCKER_HOST).

export KB_PODMAN_DIR=${KB_PODMAN_DIR:-/tmp/kiro-bridge-podman}
mkdir -p "$KB_PODMAN_DIR"
export CONTAINERS_CONF="$KB_PODMAN_DIR/containers.conf"
cat >"$CONTAINERS_CONF" <<'CONF'
[containers]
default_ulimits = ["nofile=16384:16384", "nproc=4096:4096"]
[engine]
runtime = "runc"
[network]
network_backend = "netavark"
CONF

podman_service_start() {
  export DOCKER_HOST="unix://$KB_PODMAN_DIR/podman.sock"
  if [ -S "$KB_PODMAN_DIR/podman.sock" ] && curl -sf --unix-socket "$KB_PODMAN_DIR/podman.sock" \
       http://d/_ping >/dev/null 2>&1; then
    return 0
  fi
  rm -f "$KB_PODMAN_DIR/podman.sock"
  podman system service --time=0 "$DOCKER_HOST" >"$KB_PODMAN_DIR/service.log" 2>&1 &
  KB_PODMAN_SERVICE_PID=$!
  for _ in $(seq 100); do
    curl -sf --unix-socket "$KB_PODMAN_DIR/podman.sock" http://d/_ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "podman system service did not come up; see $KB_PODMAN_DIR/service.log" >&2
  return 1
}

podman_service_stop() {
  if [ -n "${KB_PODMAN_SERVICE_PID:-}" ]; then
    kill "$KB_PODMAN_SERVICE_PID" 2>/dev/null || true
    wait "$KB_PODMAN_SERVICE_PID" 2>/dev/null || true
    KB_PODMAN_SERVICE_PID=
  fi
}
