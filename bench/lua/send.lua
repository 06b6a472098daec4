-- One SendMessage per request (AWS JSON protocol). QUEUE_URL names the queue.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AmazonSQS.SendMessage"
wrk.body = string.format('{"QueueUrl":"%s","MessageBody":"%s"}', os.getenv("QUEUE_URL"),
                         string.rep("d", 100))
