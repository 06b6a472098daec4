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
// One entry point bundled into dist/ (dagre included where imported), minified, with its
// source map.
const bundle = (entry, format, extra = {}) =>
  build({
    entryPoints: [path.join(here, "src", entry)],
    bundle: true,
    format,
    target: "es2022",
    minify: true,
    sourcemap: "linked",
    outfile: path.join(dist, entry),
    logLevel: "warning",
    ...extra,
  });

await bundle("main.js", "esm", { legalComments: "linked" });
// The SharedWorker that holds the one live stream every tab shares: a classic script, as
// every browser with SharedWorker can load.
await bundle("stream-worker.js", "iife");
for (const file of ["index.html", "style.css"]) await copyFile(path.join(here, file), path.join(dist, file));
