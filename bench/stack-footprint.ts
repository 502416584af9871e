/**
 * Measures the native stack: time from `lakehouse up` (installed, stopped) to all
 * healthy, then memory at idle per service (RSS and PSS summed over each service's
 * process group), and the size of the install cache.
 *
 *   npx tsx bench/stack-footprint.ts [--idle-seconds 60]
 *
 * Uses the configured stack (.env, default ports): it stops it first if it runs.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadSettings } from "../src/config/settings.ts";
import type { ServiceStatus } from "../src/runtime/runtime.ts";

const { values } = parseArgs({ options: { "idle-seconds": { type: "string", default: "60" } } });
const lakehouse = resolve(import.meta.dirname, "..", "lakehouse");
const run = (...args: string[]) =>
  execFileSync(lakehouse, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });

/** kB of RSS and PSS for every process whose process group is `pgid`. */
function groupMemory(pgid: number): { rss: number; pss: number } {
  let rss = 0;
  let pss = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue;
      const rollup = readFileSync(`/proc/${entry}/smaps_rollup`, "utf8");
      rss += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      pss += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    } catch {
      // The process ended while we looked.
    }
  }
  return { rss, pss };
}

run("down");
const started = performance.now();
run("up");
const upSeconds = (performance.now() - started) / 1000;
console.log(`lakehouse up (installed, stopped) to all healthy: ${upSeconds.toFixed(1)} s`);

const idle = Number(values["idle-seconds"]);
console.log(`idling ${idle} s before measuring memory...`);
await new Promise((r) => setTimeout(r, idle * 1000));

const statuses = JSON.parse(run("status", "--json")) as ServiceStatus[];
let totalRss = 0;
let totalPss = 0;
console.log("\nservice            RSS MiB   PSS MiB");
for (const s of statuses) {
  if (!s.pid) continue;
  const { rss, pss } = groupMemory(s.pid);
  totalRss += rss;
  totalPss += pss;
  console.log(
    `${s.service.padEnd(17)} ${(rss / 1024).toFixed(0).padStart(8)} ${(pss / 1024).toFixed(0).padStart(9)}`,
  );
}
console.log(
  `${"total".padEnd(17)} ${(totalRss / 1024).toFixed(0).padStart(8)} ${(totalPss / 1024).toFixed(0).padStart(9)}`,
);

const cache = loadSettings().paths.cache;
const size = execFileSync("du", ["-sh", cache], { encoding: "utf8" }).split("\t")[0];
console.log(`\ninstall cache ${cache}: ${size}`);
for (const dir of readdirSync(cache)) {
  console.log(`  ${execFileSync("du", ["-sh", join(cache, dir)], { encoding: "utf8" }).trim()}`);
}
