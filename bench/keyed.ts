/**
 * What a keyed load (a contract with primary_key, docs/ingestion.md) costs against a plain
 * one, for the same sales CSV of --size-mb: loaded plain (`lakehouse ingest --direct`, table
 * bench_plain); keyed into an empty table (every row inserted, table bench_keyed); and the
 * same rows again as a second file of the keyed table (every key updated: each data file
 * written again, the worst case of copy-on-write). Prints seconds, rows per second and
 * each against the plain load, measured one after another in this run.
 *
 *   npx tsx bench/keyed.ts [--size-mb 1024]
 *
 * Uses the configured stack (.env, default ports), which must be up (`./lakehouse up`).
 * Its tables, files and objects are removed after.
 */

import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { AirflowClient } from "../src/airflow/client.ts";
import { INGEST_DAG } from "../src/airflow/ingest-via-airflow.ts";
import { loadSettings } from "../src/config/settings.ts";
import { BenchStack } from "./bench-stack.ts";

const { values } = parseArgs({ options: { "size-mb": { type: "string", default: "1024" } } });
const sizeMb = Number(values["size-mb"]);
if (!(sizeMb > 0)) {
  console.error("usage: keyed.ts [--size-mb M]");
  process.exit(2);
}
const root = resolve(import.meta.dirname, "..");
const lakehouse = join(root, "lakehouse");
const settings = loadSettings();
const raw = join(settings.paths.data, "raw");
const plain = join(raw, "bench_plain.csv");
const keyedDir = join(raw, "bench_keyed");
const contract = join(raw, "bench_keyed.contract.yaml");

/** Runs a command with its output shown; its seconds. Fails the benchmark when it fails. */
function timed(command: string, args: string[]): number {
  console.log(`\n$ ${[command, ...args].map((a) => a.replace(root, ".")).join(" ")}`);
  const started = performance.now();
  const done = spawnSync(command, args, { stdio: "inherit", cwd: root });
  if (done.status !== 0) throw new Error(`${command} exited ${done.status}`);
  return (performance.now() - started) / 1000;
}

// The drop zone's watch would load the files too: paused meanwhile.
const airflow = new AirflowClient(settings);
const dagPath = `/api/v2/dags/${INGEST_DAG}`;
const { is_paused: wasPaused } = await airflow.request<{ is_paused: boolean }>("GET", dagPath);
await airflow.request("PATCH", dagPath, { is_paused: true });
const bench = new BenchStack(settings);
try {
  timed("npx", [
    "tsx",
    join(root, "bench", "generate-sales.ts"),
    "--out",
    plain,
    "--size-mb",
    String(sizeMb),
  ]);
  mkdirSync(keyedDir, { recursive: true });
  copyFileSync(plain, join(keyedDir, "1.csv"));
  copyFileSync(plain, join(keyedDir, "2.csv"));
  writeFileSync(contract, "primary_key: [order_id]\n");
  const mib = statSync(plain).size / 1024 ** 2;

  const runs: [string, number][] = [
    ["plain load", timed(lakehouse, ["ingest", "--direct", plain])],
    [
      "keyed, every row inserted",
      timed(lakehouse, ["ingest", "--direct", join(keyedDir, "1.csv")]),
    ],
    ["keyed, every key updated", timed(lakehouse, ["ingest", "--direct", join(keyedDir, "2.csv")])],
  ];
  const rows = await bench.count("bench_plain");
  const keyedRows = await bench.count("bench_keyed");
  if (rows !== keyedRows) throw new Error(`bench_plain has ${rows} rows, bench_keyed ${keyedRows}`);
  const base = runs[0]?.[1] ?? Number.NaN;
  console.log(`\n${mib.toFixed(0)} MiB CSV, ${rows} rows; the keyed table holds each key once.\n`);
  console.log("| load | seconds | rows/s | against plain |");
  console.log("| --- | --- | --- | --- |");
  for (const [label, seconds] of runs)
    console.log(
      `| ${label} | ${seconds.toFixed(1)} | ${Math.round((rows ?? 0) / seconds)} | ${(seconds / base).toFixed(2)}x |`,
    );
} finally {
  rmSync(plain, { force: true });
  rmSync(keyedDir, { recursive: true, force: true });
  rmSync(contract, { force: true });
  if (!wasPaused) await airflow.request("PATCH", dagPath, { is_paused: false });
  for (const table of ["bench_plain", "bench_keyed"])
    await bench
      .removeLoad(table)
      .catch((error: Error) => console.error(`clean-up: ${error.message}`));
  bench.destroy();
}
