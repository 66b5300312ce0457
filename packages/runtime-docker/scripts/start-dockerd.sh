#!/usr/bin/env bash
# Makes a Docker engine available for the runtime-docker tests: installs Debian's docker.io if dockerd is missing,
# starts `dockerd --bridge=none --iptables=false` (no bridge, no iptables: the tests run containers with host
# networking) unless a dockerd already runs for this pid file, and waits until the engine answers. Idempotent; needs
# root.
#
#   packages/runtime-docker/scripts/start-dockerd.sh          # socket /var/run/docker.sock, log /var/log/ledge-dockerd.log
#   LEDGE_DOCKERD_LOG=/tmp/dockerd.log packages/runtime-docker/scripts/start-dockerd.sh
#
# An engine killed with the machine's other processes leaves its pid files behind, and their numbers can belong to
# other processes by the time this runs. dockerd then refuses to start ("pid file found, ensure docker is not
# running"), and adopts the number in containerd's pid file as its containerd (and may kill it when no containerd
# answers). So a pid file whose process is not the program it names is removed before the engine starts.
# LEDGE_DOCKERD_PIDFILE, LEDGE_DOCKERD_EXEC_ROOT and LEDGE_DOCKERD_DATA_ROOT let a test start a second engine of its own.
set -euo pipefail

SOCKET=${LEDGE_DOCKER_SOCKET:-/var/run/docker.sock}
LOG=${LEDGE_DOCKERD_LOG:-/var/log/ledge-dockerd.log}
WAIT_SECS=${LEDGE_DOCKERD_WAIT_SECS:-60}
PIDFILE=${LEDGE_DOCKERD_PIDFILE:-/var/run/docker.pid}
EXEC_ROOT=${LEDGE_DOCKERD_EXEC_ROOT:-/var/run/docker}
DATA_ROOT=${LEDGE_DOCKERD_DATA_ROOT:-/var/lib/docker}
CONTAINERD_PIDFILE="$EXEC_ROOT/containerd/containerd.pid"

# Asks the engine for /_ping over the Unix socket (curl is not always there; node is).
engine_answers() {
  [ -S "$SOCKET" ] || return 1
  node -e '
    const req = require("http").get({ socketPath: process.argv[1], path: "/_ping", timeout: 2000 }, (res) => process.exit(res.statusCode === 200 ? 0 : 1));
    req.on("error", () => process.exit(1)); req.on("timeout", () => process.exit(1));
  ' "$SOCKET"
}

# The pid a pid file holds, if that process is alive (not a zombie: a killed process keeps its name until it is
# reaped) and runs the program named (its /proc comm).
live_pid_of() {
  local file=$1 program=$2 pid state
  pid=$(tr -dc '0-9' <"$file" 2>/dev/null || true)
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" = "$program" ] || return 0
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null || true)
  case "$state" in Z | X | "") return 0 ;; esac
  echo "$pid"
}

remove_if_stale() {
  local file=$1 program=$2
  if [ -e "$file" ] && [ -z "$(live_pid_of "$file" "$program" || true)" ]; then
    echo "start-dockerd: removing $file (its process is not a running $program)"
    rm -f "$file"
  fi
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

start_engine() {
  remove_if_stale "$PIDFILE" dockerd
  remove_if_stale "$CONTAINERD_PIDFILE" containerd
  echo "start-dockerd: starting $DOCKERD (log: $LOG)"
  mkdir -p "$(dirname "$LOG")"
  # Without bridge and iptables the engine needs no kernel network modules; containers use --network host (or none).
  nohup "$DOCKERD" --host "unix://$SOCKET" --pidfile "$PIDFILE" --exec-root "$EXEC_ROOT" --data-root "$DATA_ROOT" \
    --bridge=none --iptables=false >>"$LOG" 2>&1 </dev/null &
  started=$!
}

started=""
tries=0
running=$(live_pid_of "$PIDFILE" dockerd || true)
if [ -n "$running" ]; then
  echo "start-dockerd: dockerd (pid $running) is running; waiting for it to answer on $SOCKET"
else
  start_engine
  tries=1
fi

for _ in $(seq 1 "$((WAIT_SECS * 4))"); do
  if engine_answers; then
    echo "start-dockerd: the engine answers on $SOCKET"
    exit 0
  fi
  if [ -n "$started" ] && ! kill -0 "$started" 2>/dev/null; then
    # Once more: a process of the killed engine may have been on its way out at the first look (dockerd then waits
    # for a containerd that is gone, and gives up).
    if [ "$tries" -lt 2 ]; then
      echo "start-dockerd: dockerd (pid $started) exited before answering; last line of $LOG: $(tail -n 1 "$LOG" 2>/dev/null)" >&2
      start_engine
      tries=2
      continue
    fi
    echo "start-dockerd: dockerd (pid $started) exited before answering on $SOCKET; last lines of $LOG:" >&2
    tail -n 30 "$LOG" >&2 || true
    exit 1
  fi
  sleep 0.25
done
echo "start-dockerd: the engine did not answer on $SOCKET within ${WAIT_SECS}s; last lines of $LOG:" >&2
tail -n 30 "$LOG" >&2 || true
exit 1
