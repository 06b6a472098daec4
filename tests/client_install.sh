#!/usr/bin/env bash
# The client library as a user consumes it: installed from the build tree (component "client"),
# found with find_package(wyvern_client) by samples/client-example, built, and run against a
# broker. Arguments: BUILD_DIR SOURCE_DIR WYVERN_BINARY.
set -euo pipefail
build=$1 source=$2 wyvern=$3
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

cmake --install "$build" --component client --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/include/wyvern/client.h"
cmake -S "$source/samples/client-example" -B "$work/example" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/example" -j2 >/dev/null

"$wyvern" --port 0 --in-memory >"$work/broker.out" 2>/dev/null &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/broker.out" && break; sleep 0.05; done
endpoint=$(grep -o 'http://[^ ]*' "$work/broker.out" | head -1)
AWS_ENDPOINT_URL="$endpoint" "$work/example/sightings" >"$work/run.out"
cat "$work/run.out"
grep -qx "sighted Peter" "$work/run.out"
grep -qx "3 sightings handled" "$work/run.out"
