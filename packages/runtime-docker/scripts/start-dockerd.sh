#!/usr/bin/env bash
# Makes a Docker engine available for the runtime-docker tests: installs Debian's docker.io if dockerd is missing,
# starts `dockerd --bridge=none --iptables=false` (no bridge, no iptables: the tests run containers with host
# networking) if nothing answers on the socket, and waits until the engine answers. Idempotent; needs root.
#
#   packages/runtime-docker/scripts/start-dockerd.sh          # socket /var/run/docker.sock, log /var/log/ledge-dockerd.log
#   LEDGE_DOCKERD_LOG=/tmp/dockerd.log packages/runtime-docker/scripts/start-dockerd.sh
set -euo pipefail

SOCKET=${LEDGE_DOCKER_SOCKET:-/var/run/docker.sock}
LOG=${LEDGE_DOCKERD_LOG:-/var/log/ledge-dockerd.log}
WAIT_SECS=${LEDGE_DOCKERD_WAIT_SECS:-60}

# Asks the engine for /_ping over the Unix socket (curl is not always there; node is).
engine_answers() {
  [ -S "$SOCKET" ] || return 1
  node -e '
    const req = require("http").get({ socketPath: process.argv[1], path: "/_ping", timeout: 2000 }, (res) => process.exit(res.statusCode === 200 ? 0 : 1));
    req.on("error", () => process.exit(1)); req.on("timeout", () => process.exit(1));
  ' "$SOCKET"
}

if engine_answers; then
  echo "start-dockerd: the engine already answers on $SOCKET"
  exit 0
fi

if [ "$(id -u)" != "0" ]; then
  echo "start-dockerd: dockerd must be started as root" >&2
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1 && [ ! -x /usr/sbin/dockerd ]; then
  echo "start-dockerd: installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends docker.io
fi
DOCKERD=$(command -v dockerd || echo /usr/sbin/dockerd)

if ! pgrep -x dockerd >/dev/null 2>&1; then
  echo "start-dockerd: starting $DOCKERD (log: $LOG)"
  mkdir -p "$(dirname "$LOG")"
  # Without bridge and iptables the engine needs no kernel network modules; containers use --network host (or none).
  nohup "$DOCKERD" --host "unix://$SOCKET" --bridge=none --iptables=false >>"$LOG" 2>&1 </dev/null &
fi

for _ in $(seq 1 "$((WAIT_SECS * 4))"); do
  if engine_answers; then
    echo "start-dockerd: the engine answers on $SOCKET"
    exit 0
  fi
  sleep 0.25
done
echo "start-dockerd: the engine did not answer on $SOCKET within ${WAIT_SECS}s; last lines of $LOG:" >&2
tail -n 30 "$LOG" >&2 || true
exit 1
