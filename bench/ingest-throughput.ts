/**
 * Ingestion throughput, side by side with other loads of the same generated CSV.
 *
 *   npx tsx bench/ingest-throughput.ts [--size-mb 1024[,5120,...]] [--small-runs 10]
 *
 * For each size in --size-mb (MiB; a comma list measures how time and memory grow):
 * 1. generates a sales CSV of about that size in a temporary data dir;
 * 2. ingests it end to end with the loader as `lakehouse ingest --direct` runs it
 *    (`python -m lakehouse_loader ingest`: validated, Parquet in S3, registered in Iceberg)
 *    and checks the row count in Trino;
 * 3. loads it as most comparable projects do, in a fresh process (bench/pyiceberg-append.py):
 *    the whole file read with pyarrow.csv.read_csv and appended with pyiceberg to a table
 *    partitioned by month(order_date), through the same Iceberg REST catalog (its rows must
 *    be as many); skipped when 5× the file's size is more than the machine's free memory;
 * 4. for the first size only, converts the file to Parquet on local disk with plain pyarrow
 *    (pyarrow.csv.read_csv + pyarrow.parquet.write_table), and does the ingest's least work
 *    with plain pyarrow (the "floor");
 * and prints MiB/s of each, their ratios, and the peak memory of the loader and of pyiceberg;
 * with more than one size, a table at the end: seconds, s/GiB and peak RSS per size.
 *
 * Then small files: --small-runs times (0: none), a 1,000-row CSV written to the install's
 * data/raw/bench_small.csv is loaded with `./lakehouse ingest --direct` (the CLI as a user
 * runs it, the whole command timed), one value changed each run so that each is a real load
 * (the first creates the table); median, min and max.
 *
 * Airflow's runs of data/raw/'s files are paused meanwhile. The tables, the raw zone's
 * objects and the files the benchmark made are removed after (the ledger keeps its rows).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { freemem, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { AirflowClient } from "../src/airflow/client.ts";
import { INGEST_DAG } from "../src/airflow/ingest-via-airflow.ts";
import { printTable } from "../src/cli/status-table.ts";
import { loadSettings } from "../src/config/settings.ts";
import { installedTools } from "../src/install/installer.ts";
import { pipelineEnv } from "../src/pipeline/direct-ingest.ts";
import type { FileOutcome } from "../src/pipeline/outcomes.ts";
import { salesLines } from "../src/sample/sales.ts";
import { BenchStack } from "./bench-stack.ts";

const { values } = parseArgs({
  options: {
    "size-mb": { type: "string", default: "1024" },
    "small-runs": { type: "string", default: "10" },
  },
});
const sizes = String(values["size-mb"]).split(",").map(Number);
const smallRuns = Number(values["small-runs"]);
if (sizes.some((size) => !(size > 0)) || !Number.isInteger(smallRuns) || smallRuns < 0) {
  console.error("usage: ingest-throughput.ts [--size-mb M[,M...]] [--small-runs N]");
  process.exit(2);
}
const root = resolve(import.meta.dirname, "..");
const settings = loadSettings();
const python = installedTools(settings.paths.cache).python;
/** read_csv and pyiceberg's append hold the whole file in memory: about this many times its size. */
const COMPARISON_MEMORY_FACTOR = 5;
const COMPARISON_TABLE = "sales_bench_pyiceberg";
const SMALL_TABLE = "bench_small";
const smallCsv = join(settings.paths.data, "raw", `${SMALL_TABLE}.csv`);
if (smallRuns > 0 && existsSync(smallCsv)) {
  console.error(`${smallCsv} exists: not the benchmark's to overwrite; move it away first.`);
  process.exit(2);
}
const env = (dataDir: string) => ({
  ...process.env,
  ...pipelineEnv({ ...settings, paths: { ...settings.paths, data: dataDir } }),
});
const seconds = (since: number) => (performance.now() - since) / 1000;

// A run of csv_to_iceberg starts tasks (seconds of CPU on two cores) when the benchmark's
// files land, and would load bench_small.csv itself: it is paused while the benchmark
// runs, and restored after.
const airflow = new AirflowClient(settings);
const dagPath = `/api/v2/dags/${INGEST_DAG}`;
const { is_paused: wasPaused } = await airflow.request<{ is_paused: boolean }>("GET", dagPath);
await airflow.request("PATCH", dagPath, { is_paused: true });

const stack = new BenchStack(settings);
const work = mkdtempSync(join(tmpdir(), "lakehouse-bench-"));
const dataDir = join(work, "data");
mkdirSync(join(dataDir, "raw"), { recursive: true });
const csv = join(dataDir, "raw", "sales_bench.csv");
let smallWritten = false;

interface Comparison {
  seconds: number;
  rows: number;
  peak_rss_mib: number;
  processSeconds: number;
}
interface SizeResult {
  mb: number;
  seconds: number;
  peak: number | string;
  comparison?: Comparison;
}

/** Runs Python code that prints the seconds it measured; returns them. */
function timedPython(what: string, code: string[], args: string[]): number {
  const run = spawnSync(python, ["-c", code.join("\n"), ...args], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`${what} failed: ${run.stderr}`);
  return Number(run.stdout.trim());
}

/** Plain pyarrow on the CSV: to local Parquet, and the ingest's least work (the floor). */
function pyarrowBaselines(): { seconds: number; floorSeconds: number } {
  const seconds = timedPython(
    "baseline",
    [
      "import sys, time, pyarrow.csv as c, pyarrow.parquet as p",
      "t = time.perf_counter()",
      "p.write_table(c.read_csv(sys.argv[1]), sys.argv[2], compression='zstd')",
      "print(time.perf_counter() - t)",
    ],
    [csv, join(work, "baseline.parquet")],
  );
  // The least work the ingest's requirements imply, done by plain pyarrow, local and
  // without validation: every value read as text before any is typed (types come from all
  // values, not the first block), then read typed, and two Parquet files written (the raw
  // zone, the table's files).
  const floorSeconds = timedPython(
    "floor",
    [
      "import sys, time, pyarrow as pa, pyarrow.csv as c, pyarrow.parquet as p",
      "t = time.perf_counter()",
      "names = c.open_csv(sys.argv[1]).schema.names",
      "text = c.ConvertOptions(column_types={n: pa.string() for n in names})",
      "c.read_csv(sys.argv[1], convert_options=text)",
      "typed = c.read_csv(sys.argv[1])",
      "p.write_table(typed, sys.argv[2], compression='zstd')",
      "p.write_table(typed, sys.argv[3], compression='zstd')",
      "print(time.perf_counter() - t)",
    ],
    [csv, join(work, "floor-raw.parquet"), join(work, "floor-table.parquet")],
  );
  return { seconds, floorSeconds };
}

/** bench/pyiceberg-append.py on the file, with the loader's connections. */
function pyicebergAppend(file: string): Comparison {
  const t0 = performance.now();
  const run = spawnSync(python, [join(root, "bench/pyiceberg-append.py"), file, COMPARISON_TABLE], {
    env: env(settings.paths.data),
    encoding: "utf8",
  });
  const processSeconds = seconds(t0);
  const lines = run.stdout
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { location?: string } & Partial<Comparison>);
  for (const { location } of lines) if (location) stack.addLocation(location);
  const result = lines.at(-1);
  if (run.status !== 0 || result?.seconds === undefined)
    throw new Error(`pyiceberg append failed:\n${run.stdout}\n${run.stderr}`);
  return { ...(result as Comparison), processSeconds };
}

async function measure(sizeMb: number, baselines: boolean): Promise<SizeResult> {
  execFileSync(
    "npx",
    ["tsx", join(root, "bench/generate-sales.ts"), "--out", csv, "--size-mb", String(sizeMb)],
    { stdio: "inherit" },
  );
  const bytes = statSync(csv).size;
  const mb = bytes / 1024 / 1024;
  // The plain pyarrow runs come first: right after the load they shared the machine with
  // the object store still settling its gigabyte, and varied from 16 to 23 s.
  const baseline = baselines ? pyarrowBaselines() : undefined;

  // The whole pipeline, as `lakehouse ingest --direct` runs it, called directly so its
  // JSON result (with the process's peak RSS) and stage timings can be read.
  const t0 = performance.now();
  const ingest = spawnSync(python, ["-m", "lakehouse_loader", "ingest", csv], {
    env: env(dataDir),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const ingestSeconds = seconds(t0);
  if (ingest.status !== 0) throw new Error(`ingest failed:\n${ingest.stdout}\n${ingest.stderr}`);
  const outcome = JSON.parse(ingest.stdout.trim().split("\n").pop() ?? "{}") as FileOutcome;
  const peak = outcome.peak_rss_mib ?? "?";
  process.stderr.write(ingest.stderr);
  const count = await stack.count("sales_bench");
  // Each size is a first load of its table.
  await stack.removeLoad("sales_bench");

  const needed = COMPARISON_MEMORY_FACTOR * bytes;
  const free = freemem();
  const comparison = needed <= free ? pyicebergAppend(csv) : undefined;
  if (comparison && comparison.rows !== count)
    throw new Error(`pyiceberg appended ${comparison.rows} rows, the loader loaded ${count}`);

  const ingestRate = mb / ingestSeconds;
  console.log(`\nfile: ${mb.toFixed(0)} MiB, ${count} rows queryable in Trino`);
  console.log(
    `lakehouse ingest --direct (end to end): ${ingestSeconds.toFixed(1)} s, ${ingestRate.toFixed(1)} MiB/s, peak RSS ${peak} MiB`,
  );
  if (baseline) {
    const baselineRate = mb / baseline.seconds;
    console.log(
      `plain pyarrow CSV -> local Parquet:     ${baseline.seconds.toFixed(1)} s, ${baselineRate.toFixed(1)} MiB/s`,
    );
    console.log(`ratio (ingest / pyarrow): ${(ingestRate / baselineRate).toFixed(2)}`);
    console.log(
      `pyarrow doing the ingest's least work (parse as text, parse typed, write twice): ${baseline.floorSeconds.toFixed(1)} s, ratio ${(baseline.seconds / baseline.floorSeconds).toFixed(2)}`,
    );
  }
  const label = "pyarrow read_csv + pyiceberg append (month-partitioned)";
  if (comparison) {
    console.log(
      `${label}: ${comparison.seconds.toFixed(1)} s, ${(mb / comparison.seconds).toFixed(1)} MiB/s, peak RSS ${comparison.peak_rss_mib} MiB`,
    );
    console.log(
      `ratio of times (ingest / pyiceberg append): ${(ingestSeconds / comparison.seconds).toFixed(2)} (pyiceberg's whole process, with start-up and purge: ${comparison.processSeconds.toFixed(1)} s)`,
    );
  } else {
    console.log(
      `${label}: skipped, it would need ~${(needed / 2 ** 20).toFixed(0)} MiB (${COMPARISON_MEMORY_FACTOR}× the file) and ${(free / 2 ** 20).toFixed(0)} MiB are free`,
    );
  }
  rmSync(csv, { force: true });
  return { mb, seconds: ingestSeconds, peak, comparison };
}

/** Loads a 1,000-row file with the CLI `runs` times; the seconds of each whole command. */
async function smallFiles(runs: number): Promise<number[]> {
  const [header, first, ...rest] = [...salesLines(1000)];
  await stack.removeLoad(SMALL_TABLE);
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    // A new order_id in the first row: new content, so a real load and not "unchanged".
    const changed = (first as string).replace(/^\d+/, String(run + 1));
    smallWritten = true;
    writeFileSync(smallCsv, `${[header, changed, ...rest].join("\n")}\n`);
    const t0 = performance.now();
    const cli = spawnSync(join(root, "lakehouse"), ["ingest", "--direct", smallCsv], {
      cwd: root,
      encoding: "utf8",
    });
    times.push(seconds(t0));
    if (cli.status !== 0 || cli.stdout.includes("unchanged"))
      throw new Error(`small-file run ${run + 1} was no load:\n${cli.stdout}\n${cli.stderr}`);
  }
  return times;
}

try {
  const results: SizeResult[] = [];
  for (const [i, size] of sizes.entries()) results.push(await measure(size, i === 0));
  if (results.length > 1) {
    console.log("\nlinearity (ours: lakehouse ingest --direct; pyiceberg: read_csv + append)");
    const cell = (value: number | undefined, digits = 1) =>
      value === undefined ? "skipped" : value.toFixed(digits);
    printTable([
      ["size MiB", "ours s", "ours s/GiB", "ours peak MiB", "pyiceberg s", "pyiceberg peak MiB"],
      ...results.map((r) => [
        r.mb.toFixed(0),
        r.seconds.toFixed(1),
        (r.seconds / (r.mb / 1024)).toFixed(1),
        String(r.peak),
        cell(r.comparison?.seconds),
        cell(r.comparison?.peak_rss_mib, 0),
      ]),
    ]);
  }
  if (smallRuns > 0) {
    const times = (await smallFiles(smallRuns)).sort((a, b) => a - b);
    const middle = Math.floor(times.length / 2);
    const median =
      times.length % 2
        ? (times[middle] as number)
        : ((times[middle - 1] as number) + (times[middle] as number)) / 2;
    console.log(
      `\nsmall files (1,000 rows, ./lakehouse ingest --direct, ${smallRuns} runs, each a real load): median ${median.toFixed(2)} s, min ${(times[0] as number).toFixed(2)} s, max ${(times.at(-1) as number).toFixed(2)} s`,
    );
  }
} finally {
  // Leave the stack as it was: the tables, and the benchmark's objects in the raw zone.
  try {
    await stack.removeLoad("sales_bench");
    if (smallWritten) {
      rmSync(smallCsv, { force: true });
      await stack.removeLoad(SMALL_TABLE);
    }
    await stack.dropTable(COMPARISON_TABLE);
    await stack.removeLocations();
  } finally {
    stack.destroy();
    rmSync(work, { recursive: true, force: true });
    if (!wasPaused) await airflow.request("PATCH", dagPath, { is_paused: false });
  }
}
