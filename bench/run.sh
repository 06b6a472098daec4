#!/usr/bin/env bash
# Measures SQS throughput and latency of a durable Wyvern broker and of a peer emulator
# (local-aws-sqs, in memory, from npm) under the same wrk load, and prints a markdown table.
#
#   bash bench/run.sh            # 10 s per scenario
#   BENCH_SECONDS=30 bash bench/run.sh
#
# Scenarios (AWS JSON protocol, 100-byte bodies):
#   sequential send    one connection, one SendMessage at a time: msgs/s, p50 and p99 latency
#   concurrent send    32 connections of single SendMessage calls: msgs/s
#   batched send       32 connections of SendMessageBatch (10 per call): msgs/s
#   drain              32 connections of ReceiveMessage (10) + DeleteMessageBatch: msgs/s
# The load generator is wrk (C, event-driven), so the client is not the bottleneck; it shares
# the machine's cores with the server under test, as any local benchmark does.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER=${BENCH_SECONDS:-10}

bash scripts/setup.sh >/dev/null
bash scripts/build.sh >/dev/null
if [ ! -d bench/node_modules/local-aws-sqs ]; then
  (cd bench && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; return 1; }

create_queue() {  # endpoint name
  curl -s -X POST "$1/" -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: AmazonSQS.CreateQueue' -d "{\"QueueName\":\"$2\"}" >/dev/null
}

# Requests/sec of a wrk run, times $2; marked "(errors)" when any response was not a 2xx.
rate() { awk -v m="${2:-1}" '/Requests\/sec/ {r=$2*m} /Non-2xx|Socket errors/ {e=1} END {printf "%d%s", r, e ? " (errors)" : ""}' <<<"$1"; }

to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.2f", v}'; }

# measure NAME ENDPOINT -> prints one table row
measure() {
  local name=$1 endpoint=$2 out rps p50 p99 single batch drain
  create_queue "$endpoint" seq; create_queue "$endpoint" conc; create_queue "$endpoint" batch
  out=$(QUEUE_URL="$endpoint/000000000000/seq" wrk -t1 -c1 -d"${SECONDS_PER}s" --timeout 30s --latency -s bench/lua/send.lua "$endpoint/")
  rps=$(rate "$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out" | to_ms)
  p99=$(awk '$1=="99%" {print $2}' <<<"$out" | to_ms)
  out=$(QUEUE_URL="$endpoint/000000000000/conc" wrk -t2 -c32 -d"${SECONDS_PER}s" --timeout 30s -s bench/lua/send.lua "$endpoint/")
  single=$(rate "$out")
  out=$(QUEUE_URL="$endpoint/000000000000/batch" wrk -t2 -c32 -d"${SECONDS_PER}s" --timeout 30s -s bench/lua/batch.lua "$endpoint/")
  batch=$(rate "$out" 10)
  # The drain empties what the batched scenario filled, 10 messages per receive.
  out=$(QUEUE_URL="$endpoint/000000000000/batch" wrk -t2 -c32 -d"${SECONDS_PER}s" --timeout 30s -s bench/lua/drain.lua "$endpoint/")
  drain=$(awk '/^DRAINED/ {printf "%d", $3} /Non-2xx|Socket errors/ {e=1} END {if (e) printf " (errors)"}' <<<"$out")
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$rps" "$p50" "$p99" "$single" "$batch" "$drain"
}

startup_ms() {  # time from exec until the broker prints that it listens, empty durable store
  python3 - "$@" <<'PY'
import subprocess, sys, tempfile, time
runs = []
for _ in range(5):
    with tempfile.TemporaryDirectory() as d:
        t = time.monotonic()
        p = subprocess.Popen(["build/wyvern", "--port", "0", "--data-dir", d], stdout=subprocess.PIPE, text=True)
        p.stdout.readline()
        runs.append((time.monotonic() - t) * 1000)
        p.terminate(); p.wait()
print("%.0f" % sorted(runs)[len(runs) // 2])
PY
}
echo "Wyvern startup with an empty durable store: $(startup_ms) ms (median of 5)"
echo
echo "| server | sequential send msgs/s | p50 ms | p99 ms | concurrent send msgs/s | batched send msgs/s | drain msgs/s |"
echo "| --- | --- | --- | --- | --- | --- | --- |"

data=$(mktemp -d)
port=$(free_port)
build/wyvern --port "$port" --data-dir "$data" --log-level warn &
wyvern_pid=$!
trap 'kill $wyvern_pid 2>/dev/null || true; kill ${peer_pid:-0} 2>/dev/null || true; rm -rf "$data"' EXIT
wait_for "http://127.0.0.1:$port/_wyvern/health"
measure "wyvern (durable, LMDB + journal)" "http://127.0.0.1:$port"
kill "$wyvern_pid"; wait "$wyvern_pid" 2>/dev/null || true

port=$(free_port)
build/wyvern --port "$port" --in-memory --log-level warn &
wyvern_pid=$!
wait_for "http://127.0.0.1:$port/_wyvern/health"
measure "wyvern --in-memory" "http://127.0.0.1:$port"
kill "$wyvern_pid"; wait "$wyvern_pid" 2>/dev/null || true

port=$(free_port)
node bench/peer.mjs "$port" >/dev/null &
peer_pid=$!
wait_for "http://127.0.0.1:$port/"
measure "local-aws-sqs 2.0.2 (in memory)" "http://127.0.0.1:$port"
