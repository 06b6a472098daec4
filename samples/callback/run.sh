#!/usr/bin/env bash
# The SQS task-token callback flow with three workers (Node SDK, Python boto3, the C++ client),
# each shown succeeding, failing, and forgetting a task until its heartbeat times out on the
# broker's virtual clock.
#
#   bash samples/callback/run.sh        (after the build: build/wyvern, build/samples/callback/callback_worker)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
wyvern=${WYVERN_BIN:-$root/build/wyvern}
cpp_worker=${CALLBACK_WORKER:-$root/build/samples/callback/callback_worker}
source "$here/../broker.sh"
start_broker "$here/wyvern.json"

# outcome ARN: "<status> <error or output>" once the execution has ended
outcome() {
  "$wyvern" history "$1" --wait --json | python3 -c '
import json, sys
last = json.load(sys.stdin)[-1]
d = last["details"]
print(last["type"].replace("Execution", "").upper(), d.get("error") or d.get("output", ""))'
}

# waits until nothing is visible in the queue: a worker has taken the message
taken() {
  for _ in $(seq 200); do
    visible=$("$wyvern" queues --json | python3 -c "import json,sys; print(next(q['visible'] for q in json.load(sys.stdin) if q['name']=='$1'))")
    [ "$visible" = 0 ] && return 0
    sleep 0.05
  done
  echo "nobody took the message in $1" >&2
  return 1
}

demo() {  # LANGUAGE COMMAND...: one worker through the three outcomes
  local lang=$1 queue="$endpoint/000000000000/hatch-$1"
  shift
  echo
  echo "== the $lang worker"
  "$@" "$queue" &
  local worker=$!
  pids+=($worker)
  for egg in red stone; do
    arn=$("$wyvern" start Hatchery --name "$lang-$egg" --input "{\"egg\": \"$egg\", \"queue\": \"$queue\"}")
    echo "$lang-$egg: $(outcome "$arn")"
  done
  arn=$("$wyvern" start Hatchery --name "$lang-forgotten" --input "{\"egg\": \"forgotten\", \"queue\": \"$queue\"}")
  taken "hatch-$lang"
  # HeartbeatSeconds is 10: eleven virtual seconds without a heartbeat end the task.
  "$wyvern" clock advance 11 >/dev/null
  echo "$lang-forgotten: $(outcome "$arn")"
  kill -TERM "$worker"
  wait "$worker" || true
}

demo node env NODE_PATH="$root/tests/e2e/js/node_modules" node "$here/worker.cjs"
demo python python3 "$here/worker.py"
demo cpp "$cpp_worker"
