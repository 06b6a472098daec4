// Builds the console into dist/: src/main.js and everything it imports (dagre included) bundled
// into one ES module, beside index.html and style.css. Every URL in dist/ is relative, so the
// broker serves the folder as it is at /_wyvern/console/ and nothing is fetched from elsewhere.
import { build } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, "dist");

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
await build({
  entryPoints: [path.join(here, "src", "main.js")],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: "linked",
  legalComments: "linked",
  outfile: path.join(dist, "main.js"),
  logLevel: "warning",
});
// The SharedWorker that holds the one live stream every tab shares: a classic script, as
// every browser with SharedWorker can load.
await build({
  entryPoints: [path.join(here, "src", "stream-worker.js")],
  bundle: true,
  format: "iife",
  target: "es2022",
  minify: true,
  sourcemap: "linked",
  outfile: path.join(dist, "stream-worker.js"),
  logLevel: "warning",
});
for (const file of ["index.html", "style.css"]) await copyFile(path.join(here, file), path.join(dist, file));
