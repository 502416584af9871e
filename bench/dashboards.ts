/**
 * How long `lakehouse dashboards` takes with many tables: --tables small CSV files (four
 * columns of different kinds) are loaded with `lakehouse ingest --direct`, then
 * `lakehouse dashboards` is timed as a user runs it: the first time (every table's
 * dashboard written), again with nothing changed (nothing written), after one more table
 * (one written), and after the bench's tables are dropped (their dashboards removed).
 * Prints seconds for each.
 *
 *   npx tsx bench/dashboards.ts [--tables 100]
 *
 * Uses the configured stack (.env, default ports), which must be up (`./lakehouse up`).
 * The tables, their files in data/raw/ and their objects are removed after (their ledger
 * rows stay: the record of the loads).
 */
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadSettings } from "../src/config/settings.ts";
import { BenchStack } from "./bench-stack.ts";

const { values } = parseArgs({ options: { tables: { type: "string", default: "100" } } });
const count = Number(values.tables);
if (!(count > 0)) {
  console.error("usage: dashboards.ts [--tables N]");
  process.exit(2);
}
const lakehouse = join(resolve(import.meta.dirname, ".."), "lakehouse");
const settings = loadSettings();
const stack = new BenchStack(settings);
const name = (i: number) => `bench_dashboards_${String(i).padStart(3, "0")}`;
const csv = (i: number) => join(settings.paths.data, "raw", `${name(i)}.csv`);

/** Loads tables first..last (each its own CSV file) in one `lakehouse ingest --direct`. */
function loadTables(first: number, last: number): void {
  const files: string[] = [];
  for (let i = first; i <= last; i++) {
    const rows = Array.from(
      { length: 50 },
      (_, r) =>
        `${i * 1000 + r},group ${r % 5},2026-01-${String(1 + (r % 28)).padStart(2, "0")},${(r * 1.5).toFixed(2)}`,
    );
    writeFileSync(csv(i), `item_id,label,day,amount\n${rows.join("\n")}\n`);
    files.push(csv(i));
  }
  const run = spawnSync(lakehouse, ["ingest", "--direct", ...files], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`lakehouse ingest --direct failed:\n${run.stderr}`);
}

/** Runs `lakehouse dashboards`; returns its seconds and its summary line. */
function dashboards(): { seconds: number; summary: string } {
  const started = performance.now();
  const run = spawnSync(lakehouse, ["dashboards"], { encoding: "utf8" });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`lakehouse dashboards failed:\n${run.stderr}`);
  const summary = `${run.stdout}${run.stderr}`
    .split("\n")
    .filter((l) => l.includes("✓"))
    .pop();
  return { seconds, summary: summary?.replace(/^.*: /, "") ?? "" };
}

const figures: [string, number, string][] = [];
const measure = (what: string) => {
  const { seconds, summary } = dashboards();
  figures.push([what, seconds, summary]);
  console.log(`${what}: ${seconds.toFixed(1)} s (${summary})`);
};

try {
  console.log(`Loading ${count} tables...`);
  loadTables(0, count - 1);
  measure(`first run, ${count} new tables`);
  measure("again, nothing changed");
  loadTables(count, count);
  measure(`one new table among ${count + 1}`);
} finally {
  for (let i = 0; i <= count; i++) {
    await stack.removeLoad(name(i));
    rmSync(csv(i), { force: true });
  }
}
measure(`${count + 1} tables dropped`);

console.log("\n| run | seconds | provisioning said |\n| --- | --- | --- |");
for (const [what, seconds, summary] of figures) {
  console.log(`| ${what} | ${seconds.toFixed(1)} | ${summary} |`);
}
