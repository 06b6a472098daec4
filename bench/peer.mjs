// Runs the peer emulator (local-aws-sqs, in memory) on the port given, for bench/run.sh.
import { createSqsServer } from "local-aws-sqs";

const port = Number(process.argv[2] ?? 5432);
await createSqsServer({ port, hostname: "127.0.0.1", accountId: "000000000000", emulateLazyQueues: false });
console.log(`peer listening on http://127.0.0.1:${port}`);
