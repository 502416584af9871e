/**
 * How long a backup and a restore take per GiB: a sales CSV of --size-mb is loaded
 * (`lakehouse ingest --direct`, as table bench_backup), then `lakehouse backup DIR` is
 * timed as a user runs it and the backup's size on disk measured; then the table's
 * objects are deleted from both buckets (a lost disk, for that table) and
 * `lakehouse restore DIR --yes` is timed: it uploads them again, and stops and starts the
 * stack. The table's row count is read back after the restore. Prints seconds, sizes and
 * seconds per GiB.
 *
 *   npx tsx bench/backup.ts [--size-mb 1024]
 *
 * Uses the configured stack (.env, default ports), which must be up (`./lakehouse up`);
 * the restore stops and starts it. The table, its objects and the backup are removed after.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DeleteObjectsCommand } from "@aws-sdk/client-s3";
import { AirflowClient } from "../src/airflow/client.ts";
import { INGEST_DAG } from "../src/airflow/ingest-via-airflow.ts";
import { listObjects } from "../src/backup/object-store.ts";
import { trinoClient } from "../src/bootstrap/bootstrap.ts";
import { s3Client } from "../src/clients/s3.ts";
import { loadSettings } from "../src/config/settings.ts";
import { BenchStack } from "./bench-stack.ts";

const { values } = parseArgs({ options: { "size-mb": { type: "string", default: "1024" } } });
const sizeMb = Number(values["size-mb"]);
if (!(sizeMb > 0)) {
  console.error("usage: backup.ts [--size-mb M]");
  process.exit(2);
}
const root = resolve(import.meta.dirname, "..");
const lakehouse = join(root, "lakehouse");
const settings = loadSettings();
const table = "bench_backup";
const scratch = mkdtempSync(join(tmpdir(), "lakehouse-backup-bench-"));
const csv = join(settings.paths.data, "raw", `${table}.csv`);
const backupDir = join(scratch, "backup");

/** Runs a command with its output shown; fails the benchmark when it fails. */
function timed(what: string, command: string, args: string[]): number {
  console.log(`\n$ ${[command, ...args].map((a) => a.replace(root, ".")).join(" ")}`);
  const started = performance.now();
  const done = spawnSync(command, args, { stdio: "inherit", cwd: root });
  if (done.status !== 0) throw new Error(`${what} exited ${done.status}`);
  return (performance.now() - started) / 1000;
}

const gib = (bytes: number) => bytes / 1024 ** 3;
const duBytes = (path: string) =>
  Number(execFileSync("du", ["-sb", path], { encoding: "utf8" }).split("\t")[0]);

// The drop zone's watch would load the file too while --direct loads it: paused meanwhile
// (the pause is in Airflow's database, so the restore brings it back paused as well).
const airflow = new AirflowClient(settings);
const dagPath = `/api/v2/dags/${INGEST_DAG}`;
const { is_paused: wasPaused } = await airflow.request<{ is_paused: boolean }>("GET", dagPath);
await airflow.request("PATCH", dagPath, { is_paused: true });

try {
  timed("generate", "npx", [
    "tsx",
    join(root, "bench", "generate-sales.ts"),
    "--out",
    csv,
    "--size-mb",
    String(sizeMb),
  ]);
  const csvBytes = duBytes(csv);
  timed("ingest", lakehouse, ["ingest", "--direct", csv]);
  const trino = trinoClient(settings);
  const count = async () =>
    Number((await trino.query(`SELECT count(*) FROM iceberg.lakehouse.${table}`)).rows[0]?.[0]);
  const rows = await count();

  const backup = timed("backup", lakehouse, ["backup", backupDir]);
  const backupBytes = duBytes(backupDir);
  // Without its objects the restore has the table's data to upload, not only to compare.
  const s3 = s3Client(settings);
  let lostBytes = 0;
  for (const bucket of [settings.s3.bucket, settings.s3.warehouseBucket]) {
    const lost = (await listObjects(s3, bucket)).filter((o) => o.key.includes(table));
    lostBytes += lost.reduce((sum, o) => sum + o.size, 0);
    for (let i = 0; i < lost.length; i += 1000)
      await s3.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: lost.slice(i, i + 1000).map((o) => ({ Key: o.key })) },
        }),
      );
  }
  console.log(`\ndeleted the table's objects: ${gib(lostBytes).toFixed(2)} GiB`);
  const restore = timed("restore", lakehouse, ["restore", backupDir, "--yes"]);
  const restored = await count();

  console.log(
    `\nCSV loaded: ${gib(csvBytes).toFixed(2)} GiB, ${rows} rows (after restore: ${restored})`,
  );
  console.log(
    `backup on disk: ${gib(backupBytes).toFixed(2)} GiB; the restore uploaded ${gib(lostBytes).toFixed(2)} GiB and restarted the stack`,
  );
  console.log("           seconds   s per GiB of backup   s per GiB of CSV loaded");
  for (const [label, seconds] of [
    ["backup", backup],
    ["restore", restore],
  ] as const)
    console.log(
      `${label.padEnd(10)} ${seconds.toFixed(0).padStart(7)}   ${(seconds / gib(backupBytes)).toFixed(0).padStart(19)}   ${(seconds / gib(csvBytes)).toFixed(0).padStart(23)}`,
    );
  if (restored !== rows) throw new Error(`restored ${restored} rows, backed up ${rows}`);
} finally {
  rmSync(csv, { force: true });
  if (!wasPaused) await airflow.request("PATCH", dagPath, { is_paused: false });
  const bench = new BenchStack(settings);
  await bench
    .removeLoad(table)
    .catch((error: Error) => console.error(`clean-up: ${error.message}`));
  bench.destroy();
  rmSync(scratch, { recursive: true, force: true });
}
