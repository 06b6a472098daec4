-- Drains a queue: ReceiveMessage (10 at a time), then DeleteMessageBatch of what came back,
-- on each connection in turn. Reports messages deleted per second at the end.
local queue = os.getenv("QUEUE_URL")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  pending = {}   -- receipt handles waiting to be deleted, per thread
  deleted = 0
end

local function call(target, body)
  return wrk.format("POST", "/", {
    ["Content-Type"] = "application/x-amz-json-1.0",
    ["X-Amz-Target"] = "AmazonSQS." .. target,
  }, body)
end

function request()
  if #pending > 0 then
    local entries = {}
    for i = 1, math.min(10, #pending) do
      entries[i] = string.format('{"Id":"d%d","ReceiptHandle":"%s"}', i, table.remove(pending))
    end
    return call("DeleteMessageBatch",
                string.format('{"QueueUrl":"%s","Entries":[%s]}', queue, table.concat(entries, ",")))
  end
  return call("ReceiveMessage",
              string.format('{"QueueUrl":"%s","MaxNumberOfMessages":10}', queue))
end

function response(status, headers, body)
  for handle in body:gmatch('"ReceiptHandle":"([^"]+)"') do
    table.insert(pending, handle)
  end
  for _ in body:gmatch('"Successful":%[') do
    local n = 0
    for _ in body:gmatch('"Id":"d%d+"') do n = n + 1 end
    deleted = deleted + n
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("deleted") end
  io.write(string.format("DRAINED %d %.1f\n", total, total / (summary.duration / 1e6)))
end
