#!/usr/bin/env bash
# The lecture's dragon sightings app, end to end: starts a broker with this folder's wyvern.json,
# runs the lecture's two executions (Peter, a new dragon; Atlas, one already in the table) and
# a report through the POST /dragons route (Frank, who wants a confirmation), and prints each
# execution's path and event history, the texts SNS would have sent, and the dragons table.
#
#   bash samples/dragons/run.sh        (after the build: build/wyvern)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
wyvern=${WYVERN_BIN:-$here/../../build/wyvern}
source "$here/../broker.sh"
# The table starts as the course's: Atlas is known, Peter is not.
tables=${DRAGONS_WORKDIR:-$work}
mkdir -p "$tables"
export DRAGONS_TABLE=$tables/dragons.json
cp "$here/data/dragons.json" "$DRAGONS_TABLE"
start_broker "$here/wyvern.json"
echo "dragons table in $DRAGONS_TABLE"

run() {  # NAME PAYLOAD: start an execution named NAME, follow it, then show its history
  echo
  echo "== execution $1"
  local arn
  "$wyvern" start DragonsStateMachine --name "$1" --input "$(cat "$2")" --follow | tee "$work/$1.out"
  arn=$(head -1 "$work/$1.out" | sed 's/^started //')
  echo
  "$wyvern" history "$arn"
}

run Peter "$here/peter.json"
run Atlas "$here/atlas.json"

echo
echo "== POST /dragons (the API, as API Gateway would take it)"
response=$(curl -s -X POST "$endpoint/dragons" -H 'Content-Type: application/json' --data @"$here/frank.json")
echo "$response"
arn=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["executionArn"])' "$response")
"$wyvern" history "$arn" --wait

echo
echo "== a report the Dragon model refuses"
curl -s -X POST "$endpoint/dragons" -H 'Content-Type: application/json' \
  --data '{"dragonName": "", "confirmationRequired": "yes"}' -w ' (HTTP %{http_code})\n'

echo
echo "== texts SNS would have sent"
curl -s "$endpoint/_wyvern/sns/outbox" | python3 -c '
import json, sys
for m in json.load(sys.stdin)["messages"]:
    print("%s to %s: %s" % (m["kind"].upper(), m["destination"], m["message"]))'

echo
echo "== the dragons table"
python3 -c 'import json,sys; print("\n".join(d["dragon_name_str"] for d in json.load(open(sys.argv[1]))))' "$DRAGONS_TABLE"
