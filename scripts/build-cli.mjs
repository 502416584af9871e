/**
 * Compiles the `lakehouse` command (src/cli/main.ts and all it imports) to JavaScript in
 * dist/cli/, which the `lakehouse` script runs, and rebuilds whenever a file under src/ is
 * newer. Starting from TypeScript (tsx) cost about 0.6 s of every command before it did
 * anything; the compiled entry starts in about 0.2 s. esbuild is what tsx itself compiles
 * with. Each lazily imported module stays a chunk of its own (splitting), so a command
 * loads only what it uses: `status` never loads the S3 client or the dashboards' code.
 *
 * Plain JavaScript, so that it runs before anything is compiled.
 */
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
// A build of its own, then swapped in at once: a command starting meanwhile runs the last
// build or this one, whole, and commands building at the same time do not mix files.
mkdirSync(dist, { recursive: true });
const out = await mkdtemp(join(dist, "cli-"));
chmodSync(out, 0o755); // mkdtemp makes it private; whoever runs the checkout reads it
await build({
  entryPoints: [join(root, "src", "cli", "main.ts")],
  outdir: out,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external", // node_modules/ is next to it, as for the TypeScript
  chunkNames: "chunks/[name]-[hash]",
  logLevel: "warning",
});
const link = join(dist, `.cli-${process.pid}`);
symlinkSync(basename(out), link);
renameSync(link, join(dist, "cli"));

// Older builds go after a day: a command still running from one has loaded its chunks.
const day = 24 * 3600 * 1000;
for (const name of readdirSync(dist)) {
  const path = join(dist, name);
  if (/^cli-/.test(name) && path !== out && Date.now() - statSync(path).mtimeMs > day)
    rmSync(path, { recursive: true, force: true });
}
