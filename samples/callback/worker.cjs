// A task worker with the AWS SDK for JavaScript v3: takes hatching tasks from a queue and
// answers Step Functions with the task token each message carries.
// Usage: node worker.cjs QUEUE_URL (endpoint from $WYVERN_ENDPOINT). Runs until interrupted.
//   red, gold, ... -> SendTaskSuccess {"dragon": "<egg> dragon"} (with a heartbeat first)
//   stone          -> SendTaskFailure Egg.NotAnEgg
//   forgotten      -> no answer at all: the execution times out once HeartbeatSeconds pass
const { SQSClient, ReceiveMessageCommand, DeleteMessageCommand } = require("@aws-sdk/client-sqs");
const { SFNClient, SendTaskSuccessCommand, SendTaskFailureCommand, SendTaskHeartbeatCommand } =
  require("@aws-sdk/client-sfn");

const config = {
  endpoint: process.env.WYVERN_ENDPOINT || "http://localhost:4566",
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
};
const sqs = new SQSClient(config);
const sfn = new SFNClient(config);
const queue = process.argv[2];
let running = true;
process.on("SIGTERM", () => { running = false; });
process.on("SIGINT", () => { running = false; });

async function main() {
  console.log("node worker: waiting for eggs on", queue);
  while (running) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue, WaitTimeSeconds: 1 }));
    for (const message of Messages) {
      const { TaskToken: taskToken, egg } = JSON.parse(message.Body);
      if (egg === "stone") {
        await sfn.send(new SendTaskFailureCommand({ taskToken, error: "Egg.NotAnEgg", cause: "a stone cannot hatch" }));
        console.log("node worker: refused", egg);
      } else if (egg === "forgotten") {
        console.log("node worker: forgot", egg); // a worker that crashed mid-task
      } else {
        await sfn.send(new SendTaskHeartbeatCommand({ taskToken })); // still working
        await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ dragon: `${egg} dragon` }) }));
        console.log("node worker: hatched", egg);
      }
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queue, ReceiptHandle: message.ReceiptHandle }));
    }
  }
}
main().catch((e) => { console.error("node worker:", e.name, e.message); process.exit(1); });
