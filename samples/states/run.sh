#!/usr/bin/env bash
# The lecture's state machines, one per state type: starts a broker with this folder's
# wyvern.json, runs each machine on its input.json and compares the output with its
# expected-output.json. Prints "ok NAME" or "MISMATCH NAME: ..." per machine; exits 1 on any
# mismatch.
#
#   bash samples/states/run.sh            (uses build/wyvern; WYVERN_BIN=... to pick another)
#   bash samples/states/run.sh task map   (only the machines named)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
wyvern=${WYVERN_BIN:-$here/../../build/wyvern}
source "$here/../broker.sh"
start_broker "$here/wyvern.json"

failures=0
# report NAME ACTUAL_JSON: prints "ok NAME" if ACTUAL_JSON equals NAME/expected-output.json as
# parsed JSON (key order and spacing do not matter), else "MISMATCH NAME: expected ... got ...".
report() {
  if python3 - "$here/$1/expected-output.json" "$1" "$2" <<'PY'; then return; fi
import json, sys
path, name, actual = sys.argv[1:]
expected = json.load(open(path))
try:
    got = json.loads(actual)
except ValueError:
    got = None
if actual and got == expected:
    print("ok " + name)
    sys.exit(0)
print("MISMATCH %s: expected %s got %s" % (name, json.dumps(expected), actual or "nothing"))
sys.exit(1)
PY
  failures=$((failures + 1))
}

# follow NAME: start the machine, print each state as it is entered and left, compare the output
# (the last line of `start --follow`, which exits 0 only if the execution SUCCEEDED).
follow() {
  echo
  echo "== $1"
  local out=$work/$1.out
  if "$wyvern" start "$1" --input "$(cat "$here/$1/input.json")" --follow --endpoint "$endpoint" >"$out"; then
    sed 's/^/   /' "$out"
    report "$1" "$(tail -1 "$out")"
  else
    sed 's/^/   /' "$out"
    report "$1" ""
  fi
}

# wait_machine: the "Wait 10 seconds" state waits on the broker's virtual clock, so instead of
# sleeping 10 s per pass the script moves the clock forward each time the execution is parked
# in the Wait state, then reads the output with DescribeExecution.
wait_machine() {
  echo
  echo "== wait"
  local arn passes waits
  arn=$("$wyvern" start wait --input "$(cat "$here/wait/input.json")" --endpoint "$endpoint")
  echo "   started $arn"
  # The loop waits between passes: count - 1 times.
  passes=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["iterator"]["count"])' "$here/wait/input.json")
  for ((n = 1; n < passes; n++)); do
    for _ in $(seq 200); do  # until the n-th WaitStateEntered is in the history (10 s at most)
      waits=$("$wyvern" history "$arn" --endpoint "$endpoint" | grep -c WaitStateEntered || true)
      [ "$waits" -ge "$n" ] && break
      sleep 0.05
    done
    echo "   parked in \"Wait 10 seconds\" (pass $n): $("$wyvern" clock advance 10 --endpoint "$endpoint")"
  done
  "$wyvern" history "$arn" --wait --endpoint "$endpoint" | sed 's/^/   /'
  local described output
  described=$(curl -s -X POST "$endpoint/" -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: AWSStepFunctions.DescribeExecution' -d "{\"executionArn\": \"$arn\"}")
  output=$(python3 -c '
import json, sys
d = json.loads(sys.argv[1])
print(d["output"] if d.get("status") == "SUCCEEDED" else "")' "$described")
  [ -n "$output" ] || echo "   $described"
  report wait "$output"
}

machines=("$@")
[ ${#machines[@]} -gt 0 ] || machines=(hello-world task-simple task retry-catch choice parallel map loop wait)
for m in "${machines[@]}"; do
  if [ "$m" = wait ]; then wait_machine; else follow "$m"; fi
done

echo
if [ "$failures" -gt 0 ]; then
  echo "$failures machine(s) did not give their expected output"
  exit 1
fi
echo "all ${#machines[@]} machines gave their expected output"
