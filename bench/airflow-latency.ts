/**
 * Latency from a CSV file landing to its rows being queryable in Trino, through Airflow:
 *   - scheduled: the file is written into data/raw/ and nothing else is done;
 *   - on demand: `lakehouse ingest FILE` (it returns once the rows are committed).
 * Prints every run and the median of each.
 *
 *   npx tsx bench/airflow-latency.ts [--runs 5]
 *
 * Uses the configured stack (.env, default ports), which must be up (`./lakehouse up`).
 * Each run loads a new small table (500 sample-shaped rows), dropped at the end.
 */
import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs, promisify } from "node:util";
import { trinoClient } from "../src/bootstrap/bootstrap.ts";
import { loadSettings } from "../src/config/settings.ts";
import { salesLines } from "../src/sample/sales.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" } } });
const runs = Number(values.runs);
const settings = loadSettings();
const trino = trinoClient(settings);
const lakehouse = resolve(import.meta.dirname, "..", "lakehouse");
const exec = promisify(execFile);
const ROWS = 500;
const csv = (seed: number) => `${[...salesLines(ROWS, seed)].join("\n")}\n`;

async function rowsOf(table: string): Promise<number> {
  const found = await trino.query(`SHOW TABLES FROM iceberg.lakehouse LIKE '${table}'`);
  if (found.rows.length === 0) return 0;
  const result = await trino.query(`SELECT count(*) FROM iceberg.lakehouse.${table}`);
  return Number(result.rows[0]?.[0]);
}

async function cleanUp(table: string, file: string): Promise<void> {
  rmSync(file, { force: true });
  await trino.query(`DROP TABLE IF EXISTS iceberg.lakehouse.${table}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const stamp = Date.now().toString(36);

const onDemand: number[] = [];
for (let i = 0; i < runs; i++) {
  const table = `bench_demand_${stamp}_${i}`;
  const file = join(tmpdir(), `${table}.csv`);
  writeFileSync(file, csv(i));
  const started = performance.now();
  await exec(lakehouse, ["ingest", file]);
  const seconds = (performance.now() - started) / 1000;
  if ((await rowsOf(table)) !== ROWS) throw new Error(`${table}: rows missing after ingest`);
  onDemand.push(seconds);
  console.log(`on demand #${i + 1}: ${seconds.toFixed(1)} s`);
  await cleanUp(table, join(settings.paths.data, "raw", `${table}.csv`));
  rmSync(file, { force: true });
}

const scheduled: number[] = [];
for (let i = 0; i < runs; i++) {
  const table = `bench_sched_${stamp}_${i}`;
  const file = join(settings.paths.data, "raw", `${table}.csv`);
  const started = performance.now();
  writeFileSync(file, csv(100 + i));
  while ((await rowsOf(table)) !== ROWS) {
    if (performance.now() - started > 300_000) throw new Error(`${table}: not loaded in 5 min`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const seconds = (performance.now() - started) / 1000;
  scheduled.push(seconds);
  console.log(`scheduled #${i + 1}: ${seconds.toFixed(1)} s`);
  await cleanUp(table, file);
}

console.log(
  `\nmedian over ${runs} runs: on demand ${median(onDemand).toFixed(1)} s (aim < 20 s), ` +
    `scheduled ${median(scheduled).toFixed(1)} s (aim < 60 s)`,
);
