-- SendMessageBatch of 10 messages per request (AWS JSON protocol). QUEUE_URL names the queue.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AmazonSQS.SendMessageBatch"
local entries = {}
for i = 1, 10 do
  entries[i] = string.format('{"Id":"m%d","MessageBody":"%s"}', i, string.rep("d", 100))
end
wrk.body = string.format('{"QueueUrl":"%s","Entries":[%s]}', os.getenv("QUEUE_URL"),
                         table.concat(entries, ","))
