import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AirflowClient, type TaskInstance } from "../../src/airflow/client.ts";
import { INGEST_DAG } from "../../src/airflow/ingest-via-airflow.ts";
import { trinoClient } from "../../src/bootstrap/bootstrap.ts";
import { s3Client } from "../../src/clients/s3.ts";
import type { TrinoClient } from "../../src/clients/trino.ts";
import {
  HEALTH_TABLE,
  LANDING_PREFIX,
  LEDGER_TABLE,
  SOURCE_FILE,
} from "../../src/pipeline/conventions.ts";
import { salesLines } from "../../src/sample/sales.ts";
import { eventually, sharedStack } from "./harness.ts";

const stack = sharedStack("airflow");
const dataDir = join(stack.dir, "data");
const raw = join(dataDir, "raw");
let trino: TrinoClient;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function scalar<T>(sql: string): Promise<T> {
  const result = await trino.query(sql);
  return result.rows[0]?.[0] as T;
}

/** Rows in the table, or undefined while it does not exist or is still empty. */
/** The file's ledger rows (status, data rows), once there are any: a load records its
 * ledger row just after its table's commit, whose rows a reader may see first. */
async function ledgerOf(file: string): Promise<unknown[][]> {
  return eventually(`the ledger's row of ${file}`, 60_000, async () => {
    const { rows } = await trino.query(
      `SELECT status, data_rows FROM iceberg.lakehouse.${LEDGER_TABLE} WHERE file_path = '${file}'`,
    );
    return rows.length > 0 ? rows : undefined;
  });
}

async function tableCount(table: string): Promise<number | undefined> {
  const exists = await trino.query(`SHOW TABLES FROM iceberg.lakehouse LIKE '${table}'`);
  if (exists.rows.length === 0) return undefined;
  return Number(await scalar(`SELECT count(*) FROM iceberg.lakehouse.${table}`)) || undefined;
}

/**
 * The files named by the events that started each run of csv_to_iceberg since `since`,
 * by run: the drop zone's watch (lakehouse_loader/arrival_trigger.py) fires them.
 */
async function runsByArrival(since: string): Promise<{ runType: string; files: string[] }[]> {
  const airflow = new AirflowClient(stack.settings());
  const { dag_runs } = await airflow.request<{
    dag_runs: { dag_run_id: string; run_type: string }[];
  }>(
    "GET",
    `/api/v2/dags/${INGEST_DAG}/dagRuns?start_date_gte=${encodeURIComponent(since)}&limit=100`,
  );
  const runs: { runType: string; files: string[] }[] = [];
  for (const run of dag_runs) {
    const { asset_events } = await airflow.request<{
      asset_events: { extra: { payload?: { files?: string[] } } | null }[];
    }>(
      "GET",
      `/api/v2/dags/${INGEST_DAG}/dagRuns/${encodeURIComponent(run.dag_run_id)}/upstreamAssetEvents`,
    );
    const files = asset_events.flatMap((event) => event.extra?.payload?.files ?? []);
    runs.push({ runType: run.run_type, files });
  }
  return runs;
}

beforeAll(async () => {
  mkdirSync(raw, { recursive: true });
  await stack.start();
  trino = trinoClient(stack.settings());
});

afterAll(async () => {
  await stack.release();
});

describe("Airflow: the DAGs", () => {
  it("every DAG file imports cleanly, without loading the pipeline's heavy modules", async () => {
    const script = `
import json, sys
from airflow.models.dagbag import DagBag
bag = DagBag(${JSON.stringify(stack.dagsFolder())})
print(json.dumps({
  "errors": {k: str(v) for k, v in bag.import_errors.items()},
  "dags": {d.dag_id: {"tasks": sorted(d.task_ids), "doc": bool(d.doc_md)} for d in bag.dags.values()},
  "heavy": sorted(m for m in ("pyarrow", "pyiceberg", "trino", "lakehouse_loader.read") if m in sys.modules),
}))`;
    const stdout = await stack.airflowPython(script);
    const report = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
    expect(report.errors).toEqual({});
    expect(report.dags).toEqual({
      csv_to_iceberg: {
        tasks: ["find_files", "keep_tables_healthy", "load", "refresh_dashboards"],
        doc: true,
      },
      iceberg_maintenance: { tasks: ["list_tables", "maintain", "record_health"], doc: true },
    });
    // Parsing runs every few seconds: the pipeline is imported inside tasks only.
    expect(report.heavy).toEqual([]);
  });

  it("a CSV landing in data/raw/ starts a run by its arrival alone (no schedule): its rows land", async () => {
    const since = new Date(Date.now() - 5_000).toISOString();
    writeFileSync(
      join(raw, "dropped.csv"),
      "city,visits,day\nOslo,10,2026-03-01\nRome,20,2026-03-02\n",
    );
    const count = await eventually("rows of dropped.csv in Trino", 180_000, () =>
      tableCount("dropped"),
    );
    expect(count).toBe(2);
    const rows = await trino.query(
      `SELECT city, visits, CAST(day AS varchar), ${SOURCE_FILE} FROM iceberg.lakehouse.dropped ORDER BY city`,
    );
    expect(rows.rows).toEqual([
      ["Oslo", 10, "2026-03-01", "data/raw/dropped.csv"],
      ["Rome", 20, "2026-03-02", "data/raw/dropped.csv"],
    ]);
    // The run was started by the watch's event naming the file; the DAG has no schedule.
    const runs = await runsByArrival(since);
    expect(runs).toContainEqual({ runType: "asset_triggered", files: ["data/raw/dropped.csv"] });
    expect(runs.filter((run) => run.runType === "scheduled")).toEqual([]);
  });

  it("a file written slowly is read once, whole: never while it is being written", async () => {
    const since = new Date(Date.now() - 5_000).toISOString();
    // Eight chunks a second apart, as a slow copy over a network writes: each poll of the
    // watch sees a different size, so it waits until the size settles.
    const path = join(raw, "slow.csv");
    writeFileSync(path, "id,reading\n");
    for (let chunk = 0; chunk < 8; chunk++) {
      await sleep(1000);
      const lines = Array.from({ length: 100 }, (_, i) => `${chunk * 100 + i},${chunk}.5\n`);
      appendFileSync(path, lines.join(""));
    }
    const count = await eventually("rows of slow.csv in Trino", 180_000, () => tableCount("slow"));
    expect(count).toBe(800);
    // One attempt, of the whole file: no load of a part of it.
    expect(await ledgerOf("data/raw/slow.csv")).toEqual([["loaded", 800]]);
    const fired = (await runsByArrival(since)).flatMap((run) => run.files);
    expect(fired.filter((file) => file === "data/raw/slow.csv")).toEqual(["data/raw/slow.csv"]);
  });

  it("a CSV uploaded to the S3 landing zone with any S3 client loads as a dropped file does", async () => {
    const since = new Date(Date.now() - 5_000).toISOString();
    const s = stack.settings();
    const s3 = s3Client(s);
    const key = `${LANDING_PREFIX}uploads/2026/a.csv`;
    await s3.send(
      new PutObjectCommand({
        Bucket: s.s3.bucket,
        Key: key,
        Body: "id,city\n1,Oslo\n2,Rome\n3,Lima\n",
      }),
    );
    const count = await eventually("rows of the upload in Trino", 180_000, () =>
      tableCount("uploads"),
    );
    expect(count).toBe(3);
    // Named as the drop zone names it: the same ledger, lineage and quarantine.
    const rows = await trino.query(`SELECT DISTINCT ${SOURCE_FILE} FROM iceberg.lakehouse.uploads`);
    expect(rows.rows).toEqual([["data/raw/uploads/2026__a.csv"]]);
    expect(await ledgerOf("data/raw/uploads/2026__a.csv")).toEqual([["loaded", 3]]);
    // Moved, not copied: no file is left in the landing zone; it is in the drop zone.
    const left = await s3.send(
      new ListObjectsV2Command({ Bucket: s.s3.bucket, Prefix: LANDING_PREFIX }),
    );
    // (The object store may keep the emptied folders as keys ending in "/": no files.)
    const files = (left.Contents ?? []).map((o) => o.Key ?? "").filter((k) => !k.endsWith("/"));
    expect(files).toEqual([]);
    expect(existsSync(join(raw, "uploads", "2026__a.csv"))).toBe(true);
    const runs = await runsByArrival(since);
    expect(runs).toContainEqual({
      runType: "asset_triggered",
      files: ["data/raw/uploads/2026__a.csv"],
    });
  });

  it("`lakehouse ingest` loads a file through Airflow and reports rows and table", async () => {
    const outside = join(stack.dir, "orders.csv");
    writeFileSync(outside, `${[...salesLines(500, 3)].join("\n")}\n`);
    const result = await stack.run(["ingest", outside]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("data/raw/orders.csv → iceberg.lakehouse.orders: 500 rows");
    expect(result.stderr).toMatch(/data\/raw\/orders\.csv: success/);
    expect(await tableCount("orders")).toBe(500);
    const ledger = await trino.query(
      `SELECT status, rows_accepted, rows_rejected FROM iceberg.lakehouse.${LEDGER_TABLE} WHERE file_path = 'data/raw/orders.csv'`,
    );
    expect(ledger.rows).toEqual([["loaded", 500, 0]]);
  });

  it("`lakehouse ingest` of a bad file exits non-zero, names file and reason, touches no table", async () => {
    const before = await scalar<number>("SELECT count(*) FROM iceberg.lakehouse.orders");
    // Same table, but order_date now holds words: an incompatible type.
    const lines = [...salesLines(20, 4)];
    const header = (lines[0] ?? "").split(",");
    const dateColumn = header.indexOf("order_date");
    const broken = lines.map((line, i) => {
      if (i === 0) return line;
      const fields = line.split(",");
      fields[dateColumn] = "soon";
      return fields.join(",");
    });
    writeFileSync(join(raw, "orders.csv"), `${broken.join("\n")}\n`);
    const result = await stack.run(["ingest", join(raw, "orders.csv")]);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toContain("data/raw/orders.csv");
    expect(result.stdout).toMatch(/order_date/);
    expect(result.stdout).toMatch(/Fix:/);
    expect(result.stdout).toMatch(/Log tail/);
    expect(await scalar("SELECT count(*) FROM iceberg.lakehouse.orders")).toBe(before);
  });

  it("a Celery worker SIGKILLed mid-load comes back; the retried task loads every row once", async () => {
    const s = stack.settings();
    // A run the watch started a little before may yet list the file: from 2 min back.
    const startedAt = new Date(Date.now() - 120_000).toISOString();
    // Outside data/raw/: copied in by the command. Big enough that its load takes seconds
    // (the loader reads some 400,000 rows a second): the kill lands while it reads.
    const rows = 1_500_000;
    const file = join(stack.dir, "resilient.csv");
    writeFileSync(file, `${[...salesLines(rows, 11)].join("\n")}\n`);
    const ingest = stack.run(["ingest", file]);
    // Kill the worker (its whole process group, the task included) a second into the load's
    // task, before its one commit. (Its table showing in Trino came too late: the table is
    // made by that commit, and a kill through `docker exec` could land after the task had
    // ended.) A running load is this file's when its group, from its run's find_files,
    // holds it: the command's run's, or the run the file's arrival started if it took the
    // file first; an earlier test's run may still be loading too.
    const airflow = new AirflowClient(s);
    const holds = new Map<string, boolean>();
    const killed = await eventually("the load of resilient.csv running", 300_000, async () => {
      const page = await airflow.request<{
        task_instances: (TaskInstance & { dag_run_id: string })[];
      }>("GET", `/api/v2/dags/${INGEST_DAG}/dagRuns/~/taskInstances?state=running&limit=50`);
      for (const t of page.task_instances.filter((t) => t.task_id === "load")) {
        const id = `${t.dag_run_id}/${t.map_index}`;
        if (!holds.has(id)) {
          const find = { ...t, task_id: "find_files", map_index: -1 };
          const groups = await airflow.result<string[][]>(INGEST_DAG, t.dag_run_id, find);
          holds.set(id, groups[t.map_index]?.includes("data/raw/resilient.csv") ?? false);
        }
        if (holds.get(id)) return t;
      }
      return undefined;
    });
    await sleep(1000);
    // As when its machine or container dies: the worker and every process under it,
    // including the task, which Airflow runs in a process group of its own.
    await stack.killWorker();
    // Back by the restart policy alone: its keeper natively, Compose's in docker mode.
    expect(await stack.workerBack()).toBeGreaterThan(0);

    const result = await ingest;
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    // Its retry loads the file, or finds it loaded by the run the file's arrival started,
    // which got the load slot while the killed task was being given up on.
    expect(result.stdout).toMatch(
      new RegExp(`iceberg\\.lakehouse\\.resilient(: ${rows} rows|, unchanged)`),
    );
    const loads = await trino.query(
      `SELECT rows_accepted FROM iceberg.lakehouse.${LEDGER_TABLE} WHERE file_path = 'data/raw/resilient.csv' AND status = 'loaded'`,
    );
    expect(loads.rows).toEqual([[rows]]);
    expect(await scalar("SELECT count(*) FROM iceberg.lakehouse.resilient")).toBe(rows);
    expect(await scalar("SELECT count(DISTINCT order_id) FROM iceberg.lakehouse.resilient")).toBe(
      rows,
    );
    // The killed try counted: Airflow retried the very task that was loading the file, once
    // every run since the test began has ended (the killed task's retry may still wait for
    // the load slot when the command returns). A task the killed worker had taken but not
    // started (the arrival's run's, say) is queued again only after Airflow's
    // task_queued_timeout, 5 to 7 minutes.
    await eventually("every run since the test began ended", 900_000, async () => {
      const page = await airflow.request<{ dag_runs: { dag_run_id: string; state: string }[] }>(
        "GET",
        `/api/v2/dags/${INGEST_DAG}/dagRuns?start_date_gte=${encodeURIComponent(startedAt)}&limit=100`,
      );
      const ended = page.dag_runs.every((run) => run.state === "success" || run.state === "failed");
      return ended ? true : undefined;
    });
    const after = (await airflow.taskInstances(INGEST_DAG, killed.dag_run_id)).find(
      (t) => t.task_id === "load" && t.map_index === killed.map_index,
    );
    const what = `the killed load, ${killed.dag_run_id} map index ${killed.map_index}`;
    expect(after?.state, what).toBe("success");
    expect(after?.try_number, what).toBeGreaterThan(1);
  });

  it("two files of one table, ingested at the same time, both land exactly once", async () => {
    mkdirSync(join(raw, "events"), { recursive: true });
    const a = join(raw, "events", "a.csv");
    const b = join(raw, "events", "b.csv");
    writeFileSync(a, "event,amount\nopen,1\nclick,2\nclose,3\n");
    writeFileSync(b, "event,amount\nopen,10\nbuy,20\n");
    const [ra, rb] = await Promise.all([stack.run(["ingest", a]), stack.run(["ingest", b])]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    const rows = await trino.query(
      `SELECT ${SOURCE_FILE}, count(*), sum(amount) FROM iceberg.lakehouse.events GROUP BY 1 ORDER BY 1`,
    );
    expect(rows.rows).toEqual([
      ["data/raw/events/a.csv", 3, 6],
      ["data/raw/events/b.csv", 2, 30],
    ]);
  });

  it("files of one table ingested together are committed together, each reported and recorded on its own", async () => {
    mkdirSync(join(raw, "batch"), { recursive: true });
    const files = ["a", "b", "bad", "c"].map((name) => join(raw, "batch", `${name}.csv`));
    writeFileSync(files[0] as string, "item,qty\napple,1\npear,2\n");
    writeFileSync(files[1] as string, "item,qty\nplum,3\n");
    writeFileSync(files[2] as string, "");
    writeFileSync(files[3] as string, "item,qty\nfig,4\nkiwi,5\nlime,6\n");
    const result = await stack.run(["ingest", ...files]);
    // The empty file fails, alone: the three others load, in one commit of the table.
    expect(result.code, result.stdout + result.stderr).not.toBe(0);
    expect(result.stdout + result.stderr).toContain("3 loaded, 0 unchanged, 1 failed");
    expect(result.stdout + result.stderr).toContain("data/raw/batch/bad.csv");
    const rows = await trino.query(
      `SELECT ${SOURCE_FILE}, count(*), sum(qty) FROM iceberg.lakehouse.batch GROUP BY 1 ORDER BY 1`,
    );
    expect(rows.rows).toEqual([
      ["data/raw/batch/a.csv", 2, 3],
      ["data/raw/batch/b.csv", 1, 3],
      ["data/raw/batch/c.csv", 3, 15],
    ]);
    expect(await scalar('SELECT count(*) FROM iceberg.lakehouse."batch$snapshots"')).toBe(1);
    const ledger = await eventually("the ledger's rows of batch/", 60_000, async () => {
      const { rows } = await trino.query(
        `SELECT file_path, status, snapshot_id FROM iceberg.lakehouse.${LEDGER_TABLE} WHERE table_name = 'batch' ORDER BY 1`,
      );
      return rows.length === 4 ? rows : undefined;
    });
    const snapshot = await scalar('SELECT snapshot_id FROM iceberg.lakehouse."batch$snapshots"');
    expect(ledger).toEqual([
      ["data/raw/batch/a.csv", "loaded", snapshot],
      ["data/raw/batch/b.csv", "loaded", snapshot],
      ["data/raw/batch/bad.csv", "rejected", null],
      ["data/raw/batch/c.csv", "loaded", snapshot],
    ]);
  });

  it("50 small files of one table make a few commits, then one compacted file once past its contract's thresholds", async () => {
    const files = 50;
    writeFileSync(
      join(raw, "trickle.contract.yaml"),
      "compact_at_small_files: 4\nexpire_at_snapshots: 6\n",
    );
    mkdirSync(join(raw, "trickle"), { recursive: true });
    for (let i = 1; i <= files; i++) {
      const name = `part-${String(i).padStart(2, "0")}.csv`;
      writeFileSync(join(raw, "trickle", name), `reading,value\n${i}a,${i}\n${i}b,${i * 10}\n`);
    }
    // A load of one file at a time would add a data file and a snapshot each: 50 of each.
    const health = await eventually("trickle compacted and expired", 300_000, async () => {
      const rows = await tableCount("trickle");
      if (rows !== files * 2) return undefined;
      const dataFiles = await scalar<number>(
        'SELECT count(*) FROM iceberg.lakehouse."trickle$files"',
      );
      const snapshots = await scalar<number>(
        'SELECT count(*) FROM iceberg.lakehouse."trickle$snapshots"',
      );
      return dataFiles === 1 && snapshots <= 6 ? { dataFiles, snapshots } : undefined;
    });
    expect(health.snapshots).toBeGreaterThanOrEqual(1);
    // Compaction and expiry changed no row: each file's two rows, once.
    const perFile = await trino.query(
      `SELECT count(DISTINCT ${SOURCE_FILE}), count(*), sum(value) FROM iceberg.lakehouse.trickle`,
    );
    expect(perFile.rows).toEqual([[files, files * 2, 11 * ((files * (files + 1)) / 2)]]);
    const loaded = await scalar<number>(
      `SELECT count(DISTINCT file_path) FROM iceberg.lakehouse.${LEDGER_TABLE} WHERE table_name = 'trickle' AND status = 'loaded'`,
    );
    expect(loaded).toBe(files);
    // Files that arrive together are committed together: a few commits, not 50.
    const commits = await scalar<number>(
      `SELECT count(DISTINCT snapshot_id) FROM iceberg.lakehouse.${LEDGER_TABLE} WHERE table_name = 'trickle' AND status = 'loaded'`,
    );
    expect(commits).toBeLessThanOrEqual(5);
  });

  it("iceberg_maintenance compacts, expires and cleans every table, leaving the rows as they were", async () => {
    const airflow = new AirflowClient(stack.settings());
    const before = await scalar<number>("SELECT count(*) FROM iceberg.lakehouse.events");
    const run = await airflow.triggerDag("iceberg_maintenance", {});
    const state = await eventually("the maintenance run to finish", 600_000, async () => {
      const { state } = await airflow.dagRun("iceberg_maintenance", run.dag_run_id);
      return state === "success" || state === "failed" ? state : undefined;
    });
    expect(state).toBe("success");
    const maintained = (await airflow.taskInstances("iceberg_maintenance", run.dag_run_id))
      .filter((t) => t.task_id === "maintain")
      .map((t) => t.rendered_map_index);
    expect(maintained).toEqual(expect.arrayContaining(["events", "orders", LEDGER_TABLE]));
    expect(await scalar("SELECT count(*) FROM iceberg.lakehouse.events")).toBe(before);
    // Then every table's health is recorded again, as its metadata now says: one row each,
    // for every table there is (maintenance changes all of them).
    const health = await trino.query<[string, number, number]>(
      `SELECT table_name, data_files, snapshots FROM iceberg.lakehouse.${HEALTH_TABLE} ORDER BY table_name`,
    );
    expect(health.rows.map(([t]) => t)).toEqual([...maintained].sort());
    const [name, files, snapshots] = health.rows.find(([t]) => t === "events") ?? [];
    expect({ name, files, snapshots }).toEqual({
      name: "events",
      files: await scalar(
        'SELECT count(*) FROM iceberg.lakehouse."events$files" WHERE content = 0',
      ),
      snapshots: await scalar('SELECT count(*) FROM iceberg.lakehouse."events$snapshots"'),
    });
  });
});
