-- One SNS Publish per request (Query protocol), a 100-byte message. TOPIC_ARN names the topic.
-- The Authorization header carries only a SigV4 credential scope (Wyvern accepts credentials as
-- given and routes by the scope's service); no signature is computed.
local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
wrk.headers["Authorization"] =
  "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=0"
wrk.body = "Action=Publish&Version=2010-03-31&TopicArn=" .. urlencode(os.getenv("TOPIC_ARN")) ..
           "&Message=" .. string.rep("d", 100)

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("PUBLISHED %d %d\n", summary.requests,
                         e.status + e.connect + e.read + e.write + e.timeout))
end
