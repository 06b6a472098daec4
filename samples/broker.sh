# Sourced by each sample's run.sh: start_broker CONFIG starts a broker of the sample's own (a
# free port, nothing on disk, provisioned from CONFIG), waits until it listens, and exports
# WYVERN_ENDPOINT / AWS_ENDPOINT_URL (and test credentials) for the clients the sample runs.
# The broker and the scratch directory $work are removed when the script exits; a sample that
# starts more processes adds their pids to the array `pids`.
#
# Needs: $wyvern (the binary). Sets: $work, $endpoint, $pids.
work=$(mktemp -d)
pids=()
cleanup_samples() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup_samples EXIT

start_broker() {  # CONFIG
  "$wyvern" --port 0 --in-memory --config "$1" >"$work/broker.out" 2>"$work/broker.err" &
  pids+=($!)
  endpoint=""
  for _ in $(seq 200); do
    # First line: "wyvern listening on http://127.0.0.1:PORT (store: memory)"
    endpoint=$(head -1 "$work/broker.out" | grep -o 'http://[^ ]*' || true)
    [ -n "$endpoint" ] && break
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then
      echo "FAIL: the broker did not start:" >&2
      cat "$work/broker.err" >&2
      exit 1
    fi
    sleep 0.05
  done
  [ -n "$endpoint" ] || { echo "FAIL: the broker printed no endpoint" >&2; exit 1; }
  export WYVERN_ENDPOINT=$endpoint AWS_ENDPOINT_URL=$endpoint
  export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test}
  export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
  echo "broker at $endpoint"
}
