-- PutEvents (AWS JSON 1.1) with ENTRIES entries per request, each a small order event for the
-- default bus. The Authorization header carries only a SigV4 credential scope; Wyvern accepts
-- credentials as given.
local entries = tonumber(os.getenv("ENTRIES") or "1")
local list = {}
for i = 1, entries do
  list[i] = '{"Source":"shop.orders","DetailType":"OrderPlaced","Detail":"{\\"order\\":' .. i ..
            ',\\"total\\":42.5,\\"customer\\":\\"' .. string.rep("c", 40) .. '\\"}"}'
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "AWSEvents.PutEvents"
wrk.headers["Authorization"] =
  "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/events/aws4_request, SignedHeaders=host, Signature=0"
wrk.body = '{"Entries":[' .. table.concat(list, ",") .. ']}'

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("PUT %d %d\n", summary.requests,
                         e.status + e.connect + e.read + e.write + e.timeout))
end
