#!/usr/bin/env bash
# Dragon sightings fanned out: a producer puts sightings on the "sightings" event bus; rules send
# them to an SNS topic (which fans out to two standard queues, one of them filtered) and to a
# FIFO queue; a consumer then drains each queue. Checks that
#   all-sightings          got every sighting (in whatever order),
#   red-sightings          got only the red ones (the subscription's filter policy),
#   ordered-sightings.fifo got every sighting in seq order,
# and exits 1 saying which fact failed.
#
#   bash samples/fanout/run.sh        (WYVERN_BIN overrides build/wyvern, FANOUT_COUNT the 10)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
wyvern=${WYVERN_BIN:-$here/../../build/wyvern}
count=${FANOUT_COUNT:-10}
# A broker of our own: a free port, nothing on disk, provisioned from wyvern.json.
source "$here/../broker.sh"
start_broker "$here/wyvern.json"

echo
echo "== producer: $count sightings onto the sightings bus"
python3 "$here/producer.py" --count "$count"

echo
echo "== the queues right after (deliveries are asynchronous: counts may still be rising)"
"$wyvern" queues

consume() {  # QUEUE TIMEOUT: drain QUEUE into $work/QUEUE.jsonl and show what came
  if ! python3 "$here/consumer.py" "$1" --count "$count" --timeout "$2" >"$work/$1.jsonl" 2>"$work/$1.err"; then
    echo "FAIL: the consumer on $1 stopped:" >&2; cat "$work/$1.err" >&2; exit 1
  fi
  cat "$work/$1.jsonl"
}

echo
echo "== all-sightings (standard queue, subscribed to the topic with raw delivery)"
consume all-sightings 10
echo
# Up to $count with a short timeout: we wait a little so that a sighting that should not be
# here would have time to show up.
echo "== red-sightings (standard queue, subscribed with a filter policy on detail.colour)"
consume red-sightings 3
echo
echo "== ordered-sightings.fifo (FIFO queue, one message group, fed by the rule)"
consume ordered-sightings.fifo 10

echo
python3 - "$work" "$count" <<'PY'
import json, sys
work, n = sys.argv[1], int(sys.argv[2])
def got(queue):
    with open("%s/%s.jsonl" % (work, queue)) as f:
        return [json.loads(line) for line in f if line.strip()]
every = list(range(1, n + 1))
failed = []
def check(ok, good, bad):
    print(("ok: " + good) if ok else ("FAIL: " + bad))
    if not ok: failed.append(bad)

seqs = [s["seq"] for s in got("all-sightings")]
check(sorted(seqs) == every,
      "all-sightings got all %d sightings, each once (arrival order: %s)" % (n, " ".join(map(str, seqs))),
      "all-sightings should hold seq 1..%d once each, got %s" % (n, seqs))

red = got("red-sightings")
red_seqs = sorted(s["seq"] for s in red)
odd = [s for s in every if s % 2 == 1]
check(all(s["colour"] == "red" for s in red) and red_seqs == odd,
      "red-sightings got only the %d red sightings (seq %s)" % (len(odd), " ".join(map(str, red_seqs))),
      "red-sightings should hold the red sightings %s and nothing else, got %s"
      % (odd, [(s["seq"], s["colour"]) for s in red]))

fifo = [s["seq"] for s in got("ordered-sightings.fifo")]
check(fifo == every,
      "ordered-sightings.fifo got all %d sightings in seq order (%s)" % (n, " ".join(map(str, fifo))),
      "ordered-sightings.fifo should hold seq 1..%d in that order, got %s" % (n, fifo))
sys.exit(1 if failed else 0)
PY
