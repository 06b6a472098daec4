// Starts a real Wyvern broker on a free port for the JavaScript SDK tests.
import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const binary = process.env.WYVERN_BIN ?? path.join(root, "build", "wyvern");

export async function startBroker() {
  const proc = spawn(binary, ["--port", "0", "--in-memory"], { stdio: ["ignore", "pipe", "inherit"] });
  let buffered = "";
  const port = await new Promise((resolve, reject) => {
    proc.stdout.on("data", (chunk) => {
      buffered += chunk;
      const match = buffered.match(/listening on http:\/\/[^:]+:(\d+)/);
      if (match) resolve(Number(match[1]));
    });
    proc.on("exit", (code) => reject(new Error(`broker exited with ${code}`)));
  });
  const endpoint = `http://localhost:${port}`;
  return {
    endpoint,
    async admin(route, body) {
      const res = await fetch(`${endpoint}/_wyvern/${route}`, {
        method: body === undefined ? "GET" : "POST",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return res.json();
    },
    async stop() {
      proc.kill("SIGTERM");
      await once(proc, "exit");
    },
  };
}

export const credentials = { accessKeyId: "test", secretAccessKey: "test" };
