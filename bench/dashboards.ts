/**
 * How long `lakehouse dashboards` takes with many tables: --tables small tables are made in
 * Trino (CREATE TABLE AS, four columns of different kinds), then `lakehouse dashboards` is
 * timed as a user runs it: the first time (every table's dashboard written), again with
 * nothing changed (nothing written), after one more table (one written), and after the
 * bench's tables are dropped (their dashboards removed). Prints seconds for each.
 *
 *   npx tsx bench/dashboards.ts [--tables 100]
 *
 * Uses the configured stack (.env, default ports), which must be up (`./lakehouse up`).
 * The tables are dropped and their dashboards removed after.
 */
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { trinoClient } from "../src/bootstrap/bootstrap.ts";
import { loadSettings } from "../src/config/settings.ts";

const { values } = parseArgs({ options: { tables: { type: "string", default: "100" } } });
const count = Number(values.tables);
if (!(count > 0)) {
  console.error("usage: dashboards.ts [--tables N]");
  process.exit(2);
}
const lakehouse = join(resolve(import.meta.dirname, ".."), "lakehouse");
const settings = loadSettings();
const trino = trinoClient(settings);
const name = (i: number) =>
  `iceberg.${settings.trino.schema}.bench_dashboards_${String(i).padStart(3, "0")}`;

async function createTable(i: number): Promise<void> {
  const rows = Array.from(
    { length: 50 },
    (_, r) =>
      `(${i * 1000 + r}, 'group ${r % 5}', DATE '2026-01-01' + INTERVAL '${r}' DAY, ${r * 1.5})`,
  );
  await trino.query(
    `CREATE TABLE ${name(i)} AS SELECT * FROM (VALUES ${rows.join(", ")}) AS t(item_id, label, day, amount)`,
  );
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
  console.log(`Creating ${count} tables...`);
  for (let i = 0; i < count; i++) await createTable(i);
  measure(`first run, ${count} new tables`);
  measure("again, nothing changed");
  await createTable(count);
  measure(`one new table among ${count + 1}`);
} finally {
  for (let i = 0; i <= count; i++) await trino.query(`DROP TABLE IF EXISTS ${name(i)}`);
}
measure(`${count + 1} tables dropped`);

console.log("\n| run | seconds | provisioning said |\n| --- | --- | --- |");
for (const [what, seconds, summary] of figures) {
  console.log(`| ${what} | ${seconds.toFixed(1)} | ${summary} |`);
}
