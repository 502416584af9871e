/**
 * Measures both runtimes side by side, one after the other: time from `lakehouse up`
 * (installed or built, stopped) to all healthy with data/raw/ landed, then memory at idle
 * per service (natively RSS and PSS summed over each service's process group; in docker
 * mode each container's memory as `docker stats` counts it), the images' sizes, and the
 * install cache. Docker mode is measured when an engine answers.
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
function engineAnswers(): boolean {
  try {
    execFileSync("docker", ["info"], { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}
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

/** MiB of memory per container of this project, as `docker stats` counts it (cgroup, less page cache). */
function containerMemory(): Map<string, number> {
  const out = execFileSync(
    "docker",
    ["stats", "--no-stream", "--format", "{{.Name}}\t{{.MemUsage}}"],
    { encoding: "utf8" },
  );
  const units: Record<string, number> = { KiB: 1 / 1024, MiB: 1, GiB: 1024, B: 1 / 1048576 };
  const memory = new Map<string, number>();
  for (const line of out.trim().split("\n")) {
    const [name = "", usage = ""] = line.split("\t");
    const match = /^([\d.]+)(KiB|MiB|GiB|B)/.exec(usage);
    if (name.startsWith("lakehouse-") && match)
      memory.set(name, Number(match[1]) * (units[match[2] as string] ?? 1));
  }
  return memory;
}

const idle = Number(values["idle-seconds"]);
const modes = ["native", ...(engineAnswers() ? ["docker"] : [])];
const figures: Record<string, { up: number; memory: number }> = {};
run("down", "--native");
if (modes.includes("docker")) run("down", "--docker");

for (const mode of modes) {
  console.log(`\n== ${mode} mode`);
  const started = performance.now();
  run("up", `--${mode}`);
  const up = (performance.now() - started) / 1000;
  console.log(
    `lakehouse up --${mode} (installed or built, stopped) to all healthy and loaded: ${up.toFixed(1)} s`,
  );
  console.log(`idling ${idle} s before measuring memory...`);
  await new Promise((r) => setTimeout(r, idle * 1000));
  let total = 0;
  if (mode === "native") {
    const statuses = JSON.parse(run("status", "--json", "--native")) as ServiceStatus[];
    console.log("service                  RSS MiB   PSS MiB");
    let totalRss = 0;
    for (const st of statuses) {
      if (!st.pid) continue;
      const { rss, pss } = groupMemory(st.pid);
      totalRss += rss;
      total += pss / 1024;
      console.log(
        `${st.service.padEnd(23)} ${(rss / 1024).toFixed(0).padStart(8)} ${(pss / 1024).toFixed(0).padStart(9)}`,
      );
    }
    console.log(
      `${"total".padEnd(23)} ${(totalRss / 1024).toFixed(0).padStart(8)} ${total.toFixed(0).padStart(9)}`,
    );
  } else {
    console.log("container                          MiB");
    for (const [name, mib] of [...containerMemory()].sort()) {
      total += mib;
      console.log(`${name.padEnd(32)} ${mib.toFixed(0).padStart(6)}`);
    }
    console.log(`${"total".padEnd(32)} ${total.toFixed(0).padStart(6)}`);
    const images = execFileSync(
      "docker",
      ["images", "lakehouse/*", "--format", "{{.Repository}}:{{.Tag}}\t{{.Size}}"],
      { encoding: "utf8" },
    );
    console.log(`\nimages:\n${images.trim().replaceAll(/^/gm, "  ")}`);
  }
  figures[mode] = { up, memory: total };
  run("down", `--${mode}`);
}

if (figures.native && figures.docker) {
  console.log("\n                 native    docker   docker/native");
  const row = (label: string, a: number, b: number, unit: string) =>
    console.log(
      `${label.padEnd(16)} ${a.toFixed(0).padStart(6)}${unit} ${b.toFixed(0).padStart(7)}${unit}   ${(b / a).toFixed(2)}`,
    );
  row("up to healthy", figures.native.up, figures.docker.up, " s");
  row("idle memory", figures.native.memory, figures.docker.memory, " MiB");
}

const cache = loadSettings().paths.cache;
const size = execFileSync("du", ["-sh", cache], { encoding: "utf8" }).split("\t")[0];
console.log(`\ninstall cache ${cache}: ${size}`);
for (const dir of readdirSync(cache)) {
  console.log(`  ${execFileSync("du", ["-sh", join(cache, dir)], { encoding: "utf8" }).trim()}`);
}
