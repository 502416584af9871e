/**
 * Latency from a CSV file landing to its rows being queryable in Trino, through Airflow:
 *   - dropped: the file is written into data/raw/ and nothing else is done (the drop
 *     zone's watch in Airflow's triggerer starts a run for it);
 *   - uploaded: the file is put into the S3 landing zone, s3://<bucket>/landing/<table>/,
 *     with the S3 API (the same watch moves it into data/raw/);
 *   - on demand: `lakehouse ingest FILE` (it returns once the rows are committed).
 * Prints every run and the median of each; then counts the runs of csv_to_iceberg that
 * start while nothing arrives, for --idle-minutes.
 *
 *   npx tsx bench/airflow-latency.ts [--runs 10] [--idle-minutes 10]
 *
 * Uses the configured stack (.env, default ports), which must be up (`./lakehouse up`).
 * Each run loads a new small table (500 sample-shaped rows), dropped at the end.
 */
import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs, promisify } from "node:util";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { AirflowClient } from "../src/airflow/client.ts";
import { INGEST_DAG } from "../src/airflow/ingest-via-airflow.ts";
import { trinoClient } from "../src/bootstrap/bootstrap.ts";
import { s3Client } from "../src/clients/s3.ts";
import { loadSettings } from "../src/config/settings.ts";
import { LANDING_PREFIX } from "../src/pipeline/conventions.ts";
import { salesLines } from "../src/sample/sales.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "10" },
    "idle-minutes": { type: "string", default: "10" },
  },
});
const runs = Number(values.runs);
const idleMinutes = Number(values["idle-minutes"]);
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
  rmSync(file, { force: true, recursive: true });
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

/** Seconds from `arrive()` until the table holds the file's rows. */
async function untilQueryable(table: string, arrive: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await arrive();
  while ((await rowsOf(table)) !== ROWS) {
    if (performance.now() - started > 300_000) throw new Error(`${table}: not loaded in 5 min`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return (performance.now() - started) / 1000;
}

const dropped: number[] = [];
for (let i = 0; i < runs; i++) {
  const table = `bench_drop_${stamp}_${i}`;
  const file = join(settings.paths.data, "raw", `${table}.csv`);
  const seconds = await untilQueryable(table, async () => writeFileSync(file, csv(100 + i)));
  dropped.push(seconds);
  console.log(`dropped #${i + 1}: ${seconds.toFixed(1)} s`);
  await cleanUp(table, file);
}

const s3 = s3Client(settings);
const uploaded: number[] = [];
for (let i = 0; i < runs; i++) {
  const table = `bench_upload_${stamp}_${i}`;
  const put = new PutObjectCommand({
    Bucket: settings.s3.bucket,
    Key: `${LANDING_PREFIX}${table}/part.csv`,
    Body: csv(200 + i),
  });
  const seconds = await untilQueryable(table, async () => void (await s3.send(put)));
  uploaded.push(seconds);
  console.log(`uploaded #${i + 1}: ${seconds.toFixed(1)} s`);
  await cleanUp(table, join(settings.paths.data, "raw", table));
}

console.log(
  `\nmedian over ${runs} runs: on demand ${median(onDemand).toFixed(1)} s (aim < 20 s), ` +
    `dropped into data/raw/ ${median(dropped).toFixed(1)} s (aim < 10 s), ` +
    `uploaded to s3://${settings.s3.bucket}/${LANDING_PREFIX} ${median(uploaded).toFixed(1)} s (aim < 10 s)`,
);

if (idleMinutes > 0) {
  // The last runs' refreshes may still be starting: idle from a minute after them.
  await new Promise((r) => setTimeout(r, 60_000));
  const airflow = new AirflowClient(settings);
  const since = new Date().toISOString();
  console.log(`\nidle for ${idleMinutes} min (nothing written to data/raw/)...`);
  await new Promise((r) => setTimeout(r, idleMinutes * 60_000));
  const { total_entries } = await airflow.request<{ total_entries: number }>(
    "GET",
    `/api/v2/dags/${INGEST_DAG}/dagRuns?start_date_gte=${encodeURIComponent(since)}&limit=1`,
  );
  console.log(
    `runs of ${INGEST_DAG} started while idle: ${total_entries} in ${idleMinutes} min ` +
      `(${((total_entries * 60) / idleMinutes).toFixed(1)} per hour; aim 0)`,
  );
}
