/**
 * Ingestion throughput against plain pyarrow, on the same generated CSV.
 *
 *   npx tsx bench/ingest-throughput.ts [--size-mb 1024]
 *
 * 1. generates a sales CSV of about --size-mb in a temporary data dir;
 * 2. ingests it end to end with `lakehouse ingest --direct` into the running stack
 *    (validated, Parquet in S3, registered in Iceberg) and checks the row count in Trino;
 * 3. converts the same file to Parquet on local disk with plain pyarrow
 *    (pyarrow.csv.read_csv + pyarrow.parquet.write_table);
 * 4. prints MB/s of both, their ratio, and the ingest's peak memory.
 *
 * Airflow's scheduled scan of data/raw/ is paused meanwhile.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DeleteObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { AirflowClient } from "../src/airflow/client.ts";
import { INGEST_DAG } from "../src/airflow/ingest-via-airflow.ts";
import { trinoClient } from "../src/bootstrap/bootstrap.ts";
import { s3Client } from "../src/clients/s3.ts";
import { loadSettings } from "../src/config/settings.ts";
import { installedTools } from "../src/install/installer.ts";
import { pipelineEnv } from "../src/pipeline/direct-ingest.ts";
import type { FileOutcome } from "../src/pipeline/outcomes.ts";

const { values } = parseArgs({ options: { "size-mb": { type: "string", default: "1024" } } });
const root = resolve(import.meta.dirname, "..");
const settings = loadSettings();
const python = installedTools(settings.paths.cache).python;

// Airflow's every-minute scan of data/raw/ starts a task (seconds of CPU on two cores) at
// random moments of a run: it is paused while the benchmark runs, and restored after.
const airflow = new AirflowClient(settings);
const dagPath = `/api/v2/dags/${INGEST_DAG}`;
const { is_paused: wasPaused } = await airflow.request<{ is_paused: boolean }>("GET", dagPath);
await airflow.request("PATCH", dagPath, { is_paused: true });

const work = mkdtempSync(join(tmpdir(), "lakehouse-bench-"));
const dataDir = join(work, "data");
mkdirSync(join(dataDir, "raw"), { recursive: true });
const csv = join(dataDir, "raw", "sales_bench.csv");
try {
  execFileSync(
    "npx",
    [
      "tsx",
      join(root, "bench/generate-sales.ts"),
      "--out",
      csv,
      "--size-mb",
      String(values["size-mb"]),
    ],
    {
      stdio: "inherit",
    },
  );
  const mb = statSync(csv).size / 1024 / 1024;

  // The whole pipeline, as `lakehouse ingest --direct` runs it, called directly so its
  // JSON result (with the process's peak RSS) and stage timings can be read.
  const t0 = performance.now();
  const ingest = spawnSync(python, ["-m", "lakehouse_loader", "ingest", csv], {
    env: {
      ...process.env,
      ...pipelineEnv({ ...settings, paths: { ...settings.paths, data: dataDir } }),
    },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const ingestSeconds = (performance.now() - t0) / 1000;
  if (ingest.status !== 0) throw new Error(`ingest failed:\n${ingest.stdout}\n${ingest.stderr}`);
  const outcome = JSON.parse(ingest.stdout.trim().split("\n").pop() ?? "{}") as FileOutcome;
  const peak = outcome.peak_rss_mib ?? "?";
  process.stderr.write(ingest.stderr);
  const trino = trinoClient(settings);
  const count = (await trino.query<[number]>("SELECT count(*) FROM iceberg.lakehouse.sales_bench"))
    .rows[0]?.[0];

  const baseline = spawnSync(
    python,
    [
      "-c",
      [
        "import sys, time, pyarrow.csv as c, pyarrow.parquet as p",
        "t = time.perf_counter()",
        "p.write_table(c.read_csv(sys.argv[1]), sys.argv[2], compression='zstd')",
        "print(time.perf_counter() - t)",
      ].join("\n"),
      csv,
      join(work, "baseline.parquet"),
    ],
    { encoding: "utf8" },
  );
  if (baseline.status !== 0) throw new Error(`baseline failed: ${baseline.stderr}`);
  const baselineSeconds = Number(baseline.stdout.trim());

  // The least work the ingest's requirements imply, done by plain pyarrow, local and
  // without validation: every value read as text before any is typed (types come from all
  // values, not the first block), then read typed, and two Parquet files written (the raw
  // zone, the table's files).
  const floor = spawnSync(
    python,
    [
      "-c",
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
      ].join("\n"),
      csv,
      join(work, "floor-raw.parquet"),
      join(work, "floor-table.parquet"),
    ],
    { encoding: "utf8" },
  );
  if (floor.status !== 0) throw new Error(`floor failed: ${floor.stderr}`);
  const floorSeconds = Number(floor.stdout.trim());

  const ingestRate = mb / ingestSeconds;
  const baselineRate = mb / baselineSeconds;
  console.log(`\nfile: ${mb.toFixed(0)} MiB, ${count} rows queryable in Trino`);
  console.log(
    `lakehouse ingest --direct (end to end): ${ingestSeconds.toFixed(1)} s, ${ingestRate.toFixed(1)} MiB/s, peak RSS ${peak} MiB`,
  );
  console.log(
    `plain pyarrow CSV -> local Parquet:     ${baselineSeconds.toFixed(1)} s, ${baselineRate.toFixed(1)} MiB/s`,
  );
  console.log(`ratio (ingest / pyarrow): ${(ingestRate / baselineRate).toFixed(2)}`);
  console.log(
    `pyarrow doing the ingest's least work (parse as text, parse typed, write twice): ${floorSeconds.toFixed(1)} s, ratio ${(baselineSeconds / floorSeconds).toFixed(2)}`,
  );
  // Leave the stack as it was: the table, and the benchmark's objects in the raw zone.
  await trino.query("DROP TABLE IF EXISTS iceberg.lakehouse.sales_bench");
  const s3 = s3Client(settings);
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: settings.s3.bucket, Prefix: "raw/sales_bench/" }),
  );
  for (const object of listed.Contents ?? []) {
    await s3.send(new DeleteObjectCommand({ Bucket: settings.s3.bucket, Key: object.Key }));
  }
  s3.destroy();
} finally {
  rmSync(work, { recursive: true, force: true });
  if (!wasPaused) await airflow.request("PATCH", dagPath, { is_paused: false });
}
