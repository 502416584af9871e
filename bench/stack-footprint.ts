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
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadSettings } from "../src/config/settings.ts";
import type { ServiceStatus } from "../src/runtime/runtime.ts";
import { containerMemory, groupMemory } from "../tests/support/stack-memory.ts";

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
    for (const [name, mib] of [...containerMemory("lakehouse-")].sort()) {
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
