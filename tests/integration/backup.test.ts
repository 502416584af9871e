import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DeleteObjectsCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listObjects } from "../../src/backup/object-store.ts";
import { trinoClient } from "../../src/bootstrap/bootstrap.ts";
import { s3Client } from "../../src/clients/s3.ts";
import type { TrinoClient } from "../../src/clients/trino.ts";
import { projectRoot } from "../../src/config/paths.ts";
import { LEDGER_TABLE } from "../../src/pipeline/conventions.ts";
import { salesLines } from "../../src/sample/sales.ts";
import { SupersetClient } from "../../src/superset/client.ts";
import { eventually, TestStack } from "./harness.ts";

const stack = new TestStack();
const dataDir = join(stack.dir, "data");
const raw = join(dataDir, "raw");
const backupDir = join(stack.dir, "backup");
let trino: TrinoClient;

beforeAll(async () => {
  mkdirSync(raw, { recursive: true });
  copyFileSync(join(projectRoot, "data/raw/sales_sample.csv"), join(raw, "sales_sample.csv"));
  // The sample through Airflow, then the dashboards.
  await stack.ok(["up"]);
  trino = trinoClient(stack.settings());
});

afterAll(async () => {
  await stack.destroy();
});

interface TableState {
  rows: string;
  checksum: string;
  snapshots: string[];
  /** The ledger only: count and checksum of its rows for files other than during.csv. */
  others?: string;
}

/** Each table of the schema with its row count, a checksum of its rows and its snapshots. */
async function state(): Promise<Record<string, TableState>> {
  const tables = (await trino.query("SHOW TABLES FROM iceberg.lakehouse")).rows.map((r) =>
    String(r[0]),
  );
  const result: Record<string, TableState> = {};
  for (const table of tables.sort()) {
    const name = `iceberg.lakehouse."${table}"`;
    const columns = (await trino.query(`SHOW COLUMNS FROM ${name}`)).rows.map((r) => String(r[0]));
    const cells = columns.map((c) => `coalesce(CAST("${c}" AS varchar), 'NULL')`);
    const row = `to_utf8(concat_ws('|', ${cells.join(", ")}))`;
    const rows = await trino.query(`SELECT count(*), checksum(${row}) FROM ${name}`);
    const snapshots = await trino.query(
      `SELECT snapshot_id FROM iceberg.lakehouse."${table}$snapshots" ORDER BY committed_at`,
    );
    result[table] = {
      rows: String(rows.rows[0]?.[0]),
      checksum: String(rows.rows[0]?.[1]),
      snapshots: snapshots.rows.map((r) => String(r[0])),
    };
    if (table === LEDGER_TABLE) {
      const others = await trino.query(
        `SELECT count(*), checksum(${row}) FROM ${name} WHERE file_path NOT LIKE '%during.csv'`,
      );
      result[table].others = `${others.rows[0]?.[0]} ${others.rows[0]?.[1]}`;
    }
  }
  return result;
}

/** The dashboards' titles. */
async function dashboards(): Promise<string[]> {
  const superset = new SupersetClient(stack.settings());
  const page = await superset.request<{
    result: { dashboard_title: string }[];
  }>("GET", "/api/v1/dashboard/?q=(page_size:100)");
  return page.result.map((d) => d.dashboard_title).sort();
}

describe("backup and restore", () => {
  it("a backup taken during a load restores exactly what it holds, after a table is dropped and objects deleted", async () => {
    writeFileSync(join(stack.dir, "kept.csv"), `${[...salesLines(5_000, 3)].join("\n")}\n`);
    await stack.ok(["ingest", join(stack.dir, "kept.csv")]);
    const before = await state();
    // The run's last task provisions the new table's dashboard, after `ingest` returns.
    const boards = await eventually("the dashboard of kept", 300_000, async () => {
      const titles = await dashboards();
      return titles.some((t) => /kept/.test(t)) ? titles : undefined;
    });

    // The backup runs while a bigger file loads: whichever side of its commits the backup
    // falls on, the restored tables must point at files that exist.
    writeFileSync(join(stack.dir, "during.csv"), `${[...salesLines(300_000, 5)].join("\n")}\n`);
    const during = stack.run(["ingest", join(stack.dir, "during.csv")]);
    await new Promise((r) => setTimeout(r, 3000));
    const backup = await stack.run(["backup", backupDir]);
    expect(backup.code, `${backup.stdout}\n${backup.stderr}`).toBe(0);
    expect(backup.stderr).toContain("Restore it with: ./lakehouse restore");
    expect((await during).code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(backupDir, "backup.json"), "utf8")) as {
      tables: { name: string }[];
    };
    const backedUp = manifest.tables.map((t) => t.name.replace(/^lakehouse\./, "")).sort();
    expect(backedUp).toEqual(expect.arrayContaining(["sales_sample", "kept", LEDGER_TABLE]));

    // Disaster: more loaded, a table dropped, the data of another deleted.
    writeFileSync(join(stack.dir, "later.csv"), `${[...salesLines(1_000, 9)].join("\n")}\n`);
    await stack.ok(["ingest", join(stack.dir, "later.csv")]);
    await stack.ok(["sql", "DROP TABLE iceberg.lakehouse.sales_sample"]);
    const s = stack.settings();
    const s3 = s3Client(s);
    const keptObjects = (await listObjects(s3, s.s3.warehouseBucket)).filter((o) =>
      o.key.includes("/kept"),
    );
    expect(keptObjects.length).toBeGreaterThan(0);
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: s.s3.warehouseBucket,
        Delete: { Objects: keptObjects.map((o) => ({ Key: o.key })) },
      }),
    );
    // Files the backup had not loaded would be loaded again by the schedule: moved away.
    for (const file of ["later.csv", "during.csv"]) rmSync(join(raw, file), { force: true });

    const restored = await stack.run(["restore", backupDir, "--yes"]);
    expect(restored.code, `${restored.stdout}\n${restored.stderr}`).toBe(0);
    trino = trinoClient(stack.settings());

    // Every table is read whole (the checksum reads every row): its files all exist.
    const after = await state();
    expect(Object.keys(after).sort()).toEqual(backedUp);
    for (const table of ["sales_sample", "kept"])
      expect({ table, ...after[table] }).toEqual({ table, ...before[table] });
    // The ledger: the loads before the backup exactly; `during`'s only if the backup has it.
    const ledger = after[LEDGER_TABLE] as TableState;
    expect(ledger.others).toEqual(before[LEDGER_TABLE]?.others);
    expect(ledger.snapshots.slice(0, before[LEDGER_TABLE]?.snapshots.length)).toEqual(
      before[LEDGER_TABLE]?.snapshots,
    );
    // A load the backup caught half way is whole or absent, never a broken table.
    if (after.during) expect(after.during.rows).toBe("300000");
    expect(after.later).toBeUndefined();
    expect((await dashboards()).filter((d) => !/during/i.test(d))).toEqual(boards);
    const statuses = await stack.statuses();
    expect(statuses.filter((x) => x.health !== "healthy").map((x) => x.service)).toEqual([]);
  });
});
