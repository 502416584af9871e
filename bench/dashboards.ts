/**
 * How long `lakehouse dashboards` takes with many tables: --tables small CSV files (four
 * columns of different kinds) are loaded with `lakehouse ingest --direct`, then
 * `lakehouse dashboards` is timed as a user runs it: the first time (every table's
 * dashboard written), three times again with nothing changed (nothing written), after each
 * of three more tables (one written), and after the bench's tables are dropped (their
 * dashboards removed). The ingest DAG is paused meanwhile, and each run starts once no
 * ingest run is left.
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
import { AirflowClient } from "../src/airflow/client.ts";
import { INGEST_DAG } from "../src/airflow/ingest-via-airflow.ts";
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

const airflow = new AirflowClient(settings);

/**
 * Pauses (or unpauses) the ingest DAG. The bench's files land in data/raw/, where Airflow's
 * watch would start a run for each that ends by refreshing the dashboards: a refresh would
 * do the first run's work before it is timed, and a run timed meanwhile would wait for its
 * provisioning lock and share the two cores with it, which is not what a user's run sees.
 */
async function pauseIngest(paused: boolean): Promise<void> {
  await airflow.request("PATCH", `/api/v2/dags/${INGEST_DAG}`, { is_paused: paused });
}

/** Waits until no run of the ingest DAG is queued or running (one begun before the pause). */
async function airflowIdle(): Promise<void> {
  for (let idle = 0; idle < 2; ) {
    const page = await airflow.request<{ total_entries: number }>(
      "GET",
      `/api/v2/dags/${INGEST_DAG}/dagRuns?state=queued&state=running&limit=1`,
    );
    idle = page.total_entries === 0 ? idle + 1 : 0;
    await new Promise((r) => setTimeout(r, 5000));
  }
}

const figures: [string, number, string][] = [];
const measure = async (what: string) => {
  await airflowIdle();
  const { seconds, summary } = dashboards();
  figures.push([what, seconds, summary]);
  console.log(`${what}: ${seconds.toFixed(1)} s (${summary})`);
};

await pauseIngest(true);
try {
  try {
    console.log(`Loading ${count} tables...`);
    loadTables(0, count - 1);
    await measure(`first run, ${count} new tables`);
    // Three times each, for a figure that holds rather than one that happened.
    for (let run = 1; run <= 3; run++) await measure(`again, nothing changed (${run} of 3)`);
    for (let i = count; i < count + 3; i++) {
      loadTables(i, i);
      await measure(`one new table among ${i + 1}`);
    }
  } finally {
    for (let i = 0; i < count + 3; i++) {
      await stack.removeLoad(name(i));
      rmSync(csv(i), { force: true });
    }
  }
  await measure(`${count + 3} tables dropped`);
} finally {
  await pauseIngest(false);
}

console.log("\n| run | seconds | provisioning said |\n| --- | --- | --- |");
for (const [what, seconds, summary] of figures) {
  console.log(`| ${what} | ${seconds.toFixed(1)} | ${summary} |`);
}
