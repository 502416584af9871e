import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trinoClient } from "../../src/bootstrap/bootstrap.ts";
import { s3Client } from "../../src/clients/s3.ts";
import type { TrinoClient } from "../../src/clients/trino.ts";
import { projectRoot } from "../../src/config/paths.ts";
import { installedTools } from "../../src/install/installer.ts";
import {
  INGESTED_AT,
  LEDGER_TABLE,
  rawKey,
  rawPrefix,
  rejectsPrefix,
  rejectsTable,
  SOURCE_FILE,
} from "../../src/pipeline/conventions.ts";
import { pipelineEnv } from "../../src/pipeline/direct-ingest.ts";
import { salesLines } from "../../src/sample/sales.ts";
import { sharedStack } from "./harness.ts";

const stack = sharedStack("direct");
const dataDir = join(stack.dir, "data");
const raw = join(dataDir, "raw");
let trino: TrinoClient;

async function scalar<T>(sql: string): Promise<T> {
  const result = await trino.query(sql);
  return result.rows[0]?.[0] as T;
}

function ingest(...files: string[]) {
  return stack.run(["ingest", "--direct", ...files]);
}

beforeAll(async () => {
  mkdirSync(raw, { recursive: true });
  await stack.start();
  // These tests load directly and kill loads on purpose: Airflow's runs stay out.
  await stack.pauseScheduledIngest();
  trino = trinoClient(stack.settings());
});

afterAll(async () => {
  await stack.release();
});

describe("CSV ingestion (direct)", () => {
  it("loads the sample: row count, exact values, column types, monthly partitions", async () => {
    copyFileSync(join(projectRoot, "data/raw/sales_sample.csv"), join(raw, "sales_sample.csv"));
    const result = await ingest(join(raw, "sales_sample.csv"));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("→ iceberg.lakehouse.sales_sample: 3000 rows");

    expect(await scalar("SELECT count(*) FROM iceberg.lakehouse.sales_sample")).toBe(3000);
    const first = await trino.query(
      `SELECT CAST(order_date AS varchar), customer_id, region, CAST(unit_price AS varchar), CAST(revenue AS varchar), quantity, ${SOURCE_FILE} FROM iceberg.lakehouse.sales_sample WHERE order_id = 100000`,
    );
    expect(first.rows).toEqual([
      ["2025-03-15", "C000427", "Europe", "89.00", "80.10", 1, "data/raw/sales_sample.csv"],
    ]);

    const types = await trino.query<[string, string]>(
      "SELECT column_name, data_type FROM iceberg.information_schema.columns WHERE table_schema = 'lakehouse' AND table_name = 'sales_sample' ORDER BY ordinal_position",
    );
    expect(Object.fromEntries(types.rows)).toMatchObject({
      order_id: "bigint",
      order_date: "date",
      customer_name: "varchar",
      quantity: "bigint",
      unit_price: expect.stringMatching(/^decimal\(\d+,2\)$/),
      revenue: expect.stringMatching(/^decimal\(\d+,2\)$/),
      [SOURCE_FILE]: "varchar",
      [INGESTED_AT]: "timestamp(6) with time zone",
    });
    const ddl = await scalar<string>("SHOW CREATE TABLE iceberg.lakehouse.sales_sample");
    expect(ddl).toContain("partitioning = ARRAY['month(order_date)']");
    expect(await scalar('SELECT count(*) FROM iceberg.lakehouse."sales_sample$partitions"')).toBe(
      24,
    );
    // The table's files were written while the CSV was read, for the table its CREATE TABLE
    // then made (not again from the raw zone): one file per month.
    const output = result.stdout + result.stderr;
    expect(output).toContain("writing Parquet and the table's files");
    expect(output).not.toContain("writing its files again");
    expect(await scalar('SELECT count(*) FROM iceberg.lakehouse."sales_sample$files"')).toBe(24);

    const ledger = await trino.query(
      `SELECT status, data_rows, rows_accepted, rows_rejected FROM iceberg.lakehouse.${LEDGER_TABLE} WHERE file_path = 'data/raw/sales_sample.csv'`,
    );
    expect(ledger.rows).toEqual([["loaded", 3000, 3000, 0]]);
    // The ledger names the snapshot that holds the file's rows: the table's current one.
    expect(
      await scalar(
        `SELECT snapshot_id FROM iceberg.lakehouse.${LEDGER_TABLE} WHERE file_path = 'data/raw/sales_sample.csv'`,
      ),
    ).toBe(
      await scalar(
        'SELECT snapshot_id FROM iceberg.lakehouse."sales_sample$snapshots" ORDER BY committed_at DESC LIMIT 1',
      ),
    );
  });

  it("`lakehouse sql` prints 64-bit snapshot ids exactly, in every format, and a mistake as one line", async () => {
    const sql =
      'SELECT snapshot_id, CAST(snapshot_id AS varchar) AS exact FROM iceberg.lakehouse."sales_sample$snapshots"';
    const csv = (await stack.ok(["sql", sql, "--format", "csv"])).stdout.trim().split("\n");
    expect(csv[0]).toBe("snapshot_id,exact");
    expect(csv.length).toBeGreaterThan(1);
    for (const line of csv.slice(1)) {
      const [id, exact] = line.split(",");
      expect(id).toBe(exact);
    }
    const exact = csv[1]?.split(",")[1];
    expect((await stack.ok(["sql", sql])).stdout).toContain(`${exact}`);
    expect((await stack.ok(["sql", sql, "--format", "json"])).stdout).toContain(
      `{"snapshot_id":${exact},"exact":"${exact}"}`,
    );

    const mistake = await stack.run(["sql", "SELECT nope FROM sales_sample"]);
    expect(mistake.code).toBe(1);
    expect(mistake.stderr).toMatch(/^error: line 1:8: Column 'nope' cannot be resolved/);
    expect(mistake.stderr).not.toMatch(/\n\s+at /);
  });

  it("does nothing when the same content comes again", async () => {
    const snapshots = await scalar(
      'SELECT count(*) FROM iceberg.lakehouse."sales_sample$snapshots"',
    );
    const result = await ingest(join(raw, "sales_sample.csv"));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("unchanged");
    expect(await scalar("SELECT count(*) FROM iceberg.lakehouse.sales_sample")).toBe(3000);
    expect(await scalar('SELECT count(*) FROM iceberg.lakehouse."sales_sample$snapshots"')).toBe(
      snapshots,
    );
  });

  it("loads the same content again when its table was dropped since", async () => {
    await trino.query("DROP TABLE iceberg.lakehouse.sales_sample");
    const result = await ingest(join(raw, "sales_sample.csv"));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("→ iceberg.lakehouse.sales_sample: 3000 rows");
    expect(await scalar("SELECT count(*) FROM iceberg.lakehouse.sales_sample")).toBe(3000);
  });

  it("replaces a file's rows when its content changes, and keeps other files' rows", async () => {
    mkdirSync(join(raw, "orders"), { recursive: true });
    const header = "order_id,order_date,amount\n";
    writeFileSync(
      join(raw, "orders", "jan.csv"),
      `${header}1,2026-01-05,10.00\n2,2026-01-06,20.00\n`,
    );
    writeFileSync(join(raw, "orders", "feb.csv"), `${header}3,2026-02-01,30.00\n`);
    const both = await ingest(join(raw, "orders", "jan.csv"), join(raw, "orders", "feb.csv"));
    expect(both.code, both.stderr).toBe(0);
    expect(await scalar("SELECT count(*) FROM iceberg.lakehouse.orders")).toBe(3);

    writeFileSync(join(raw, "orders", "jan.csv"), `${header}1,2026-01-05,11.00\n`);
    expect((await ingest(join(raw, "orders", "jan.csv"))).code).toBe(0);
    const rows = await trino.query(
      `SELECT order_id, CAST(amount AS varchar), ${SOURCE_FILE} FROM iceberg.lakehouse.orders ORDER BY order_id`,
    );
    expect(rows.rows).toEqual([
      [1, "11.00", "data/raw/orders/jan.csv"],
      [3, "30.00", "data/raw/orders/feb.csv"],
    ]);
  });

  it("casts a narrower type into the table's (whole amounts into its decimal) as the file is read", async () => {
    writeFileSync(join(raw, "orders", "whole.csv"), "order_id,order_date,amount\n9,2026-01-09,7\n");
    const result = await ingest(join(raw, "orders", "whole.csv"));
    expect(result.code, result.stderr).toBe(0);
    // The schema stays as it is, so the table's files were written during the read.
    const output = result.stdout + result.stderr;
    expect(output).toContain("writing Parquet and the table's files");
    expect(output).not.toContain("writing its files again");
    expect(
      (
        await trino.query(
          "SELECT CAST(amount AS varchar) FROM iceberg.lakehouse.orders WHERE order_id = 9",
        )
      ).rows,
    ).toEqual([["7.00"]]);
    await trino.query("DELETE FROM iceberg.lakehouse.orders WHERE order_id = 9");
  });

  it("evolves the schema: a new column is added, a missing one becomes null", async () => {
    writeFileSync(
      join(raw, "orders", "mar.csv"),
      "order_id,order_date,amount,channel\n4,2026-03-01,40.00,web\n",
    );
    writeFileSync(join(raw, "orders", "apr.csv"), "order_id,order_date\n5,2026-04-01\n");
    const result = await ingest(join(raw, "orders", "mar.csv"), join(raw, "orders", "apr.csv"));
    expect(result.code, result.stderr).toBe(0);
    const rows = await trino.query(
      "SELECT order_id, CAST(amount AS varchar), channel FROM iceberg.lakehouse.orders WHERE order_id >= 3 ORDER BY order_id",
    );
    expect(rows.rows).toEqual([
      [3, "30.00", null],
      [4, "40.00", "web"],
      [5, null, null],
    ]);
  });

  it("holds a later file to its table's types: a value that does not fit is a reject, too many fail the file untouched", async () => {
    const before = await trino.query("SELECT * FROM iceberg.lakehouse.orders ORDER BY order_id");
    const snapshots = await scalar('SELECT count(*) FROM iceberg.lakehouse."orders$snapshots"');
    // One row only, and it does not fit: more rejects than the limit, the file fails whole.
    writeFileSync(
      join(raw, "orders", "may.csv"),
      "order_id,order_date,amount\nA-6,2026-05-01,1.00\n",
    );
    const refused = await ingest(join(raw, "orders", "may.csv"));
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toContain("data/raw/orders/may.csv");
    expect(refused.stdout).toContain("line 2: column order_id: 'A-6' is not an integer");
    expect(
      (await trino.query("SELECT * FROM iceberg.lakehouse.orders ORDER BY order_id")).rows,
    ).toEqual(before.rows);
    expect(await scalar('SELECT count(*) FROM iceberg.lakehouse."orders$snapshots"')).toBe(
      snapshots,
    );

    // Among 40 good rows, the one that does not fit is quarantined and the rest load.
    const lines = Array.from({ length: 40 }, (_, i) => `${100 + i},2026-05-01,${i}.00`);
    lines[6] = "N/A,2026-05-01,6.00";
    writeFileSync(
      join(raw, "orders", "may.csv"),
      `order_id,order_date,amount\n${lines.join("\n")}\n`,
    );
    const loaded = await ingest(join(raw, "orders", "may.csv"));
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(
      await scalar(
        `SELECT count(*) FROM iceberg.lakehouse.orders WHERE ${SOURCE_FILE} = 'data/raw/orders/may.csv'`,
      ),
    ).toBe(39);
    const rejects = await trino.query(
      `SELECT line, raw, reason FROM iceberg.lakehouse.${rejectsTable("orders")} WHERE ${SOURCE_FILE} = 'data/raw/orders/may.csv'`,
    );
    expect(rejects.rows).toEqual([
      [8, "N/A,2026-05-01,6.00", "column order_id: 'N/A' is not an integer"],
    ]);
    const types = await trino.query(
      "SELECT data_type FROM iceberg.information_schema.columns WHERE table_schema = 'lakehouse' AND table_name = 'orders' AND column_name = 'order_id'",
    );
    expect(types.rows).toEqual([["bigint"]]);
  });

  it("quarantines rows that break the contract, with line numbers and reasons; nothing is lost", async () => {
    writeFileSync(
      join(raw, "payments.contract.yaml"),
      'columns:\n  payment_id: {type: bigint, required: true}\n  amount: {type: "decimal(10,2)"}\nmax_reject_ratio: 0.5\n',
    );
    writeFileSync(join(raw, "payments.csv"), "payment_id,amount\n1,5.00\n,6.00\n3,abc\n4,7.50\n");
    const result = await ingest(join(raw, "payments.csv"));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("2 rows, 2 rejected");
    const rejects = await trino.query(
      `SELECT line, reason FROM iceberg.lakehouse.${rejectsTable("payments")} ORDER BY line`,
    );
    expect(rejects.rows.map((r) => r[0])).toEqual([3, 4]);
    expect(String(rejects.rows[0]?.[1])).toContain("payment_id");
    expect(String(rejects.rows[1]?.[1])).toContain("amount");
    const ledger = await trino.query(
      `SELECT data_rows, rows_accepted, rows_rejected FROM iceberg.lakehouse.${LEDGER_TABLE} WHERE file_path = 'data/raw/payments.csv' AND status = 'loaded'`,
    );
    expect(ledger.rows).toEqual([[4, 2, 2]]);
  });

  it("fails a binary file with a clear error naming it, and creates no table", async () => {
    writeFileSync(
      join(raw, "photo.csv"),
      Buffer.from([
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52,
      ]),
    );
    const result = await ingest(join(raw, "photo.csv"));
    expect(result.code).not.toBe(0);
    expect(result.stdout).toContain("data/raw/photo.csv");
    expect(result.stdout).toMatch(/not delimited text/i);
    const tables = await trino.query("SHOW TABLES FROM iceberg.lakehouse LIKE 'photo%'");
    expect(tables.rows).toEqual([]);
  });

  it("reads a large file once on its first rows' types; its Parquet lands in the raw zone", async () => {
    // Above the size from which a file is read once (extract.SINGLE_PASS_FROM, 32 MB).
    const file = join(raw, "large.csv");
    writeFileSync(file, `${[...salesLines(400_000, 11)].join("\n")}\n`);
    const result = await ingest(file);
    expect(result.code, result.stderr).toBe(0);
    const output = result.stdout + result.stderr;
    expect(output).toContain("reading the file once");
    expect(output).not.toContain("then writing again");
    expect(await scalar("SELECT count(*) FROM iceberg.lakehouse.large")).toBe(400_000);
    expect(await scalar("SELECT count(DISTINCT order_id) FROM iceberg.lakehouse.large")).toBe(
      400_000,
    );
    expect(
      await scalar(
        `SELECT data_rows FROM iceberg.lakehouse.${LEDGER_TABLE} WHERE file_path = 'data/raw/large.csv'`,
      ),
    ).toBe(400_000);
    const settings = stack.settings();
    const s3 = s3Client(settings);
    try {
      const listed = await s3.send(
        new ListObjectsV2Command({ Bucket: settings.s3.bucket, Prefix: rawPrefix("large") }),
      );
      const keys = (listed.Contents ?? []).map((object) => object.Key);
      // Named by the content's SHA-256, computed while the file was read.
      const sha = createHash("sha256").update(readFileSync(file)).digest("hex");
      expect(keys).toEqual([rawKey("large", "large", sha)]);
    } finally {
      s3.destroy();
    }
  });

  it("reads a large file twice when a late row breaks its first rows' types", async () => {
    const file = join(raw, "late.csv");
    const lines = [...salesLines(400_000, 12)];
    // The last order's revenue needs more digits than any before it.
    const last = (lines.at(-1) ?? "").split(",");
    last[last.length - 1] = "123456789.50";
    lines[lines.length - 1] = last.join(",");
    writeFileSync(file, `${lines.join("\n")}\n`);
    const result = await ingest(file);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).toContain(
      "column revenue is decimal(11,2), not decimal(6,2) as its first rows suggested: checking the types in every row, then writing again",
    );
    expect(await scalar("SELECT count(*) FROM iceberg.lakehouse.late")).toBe(400_000);
    expect(
      await scalar(
        "SELECT data_type FROM iceberg.information_schema.columns WHERE table_schema = 'lakehouse' AND table_name = 'late' AND column_name = 'revenue'",
      ),
    ).toBe("decimal(11,2)");
    expect(
      await scalar(
        `SELECT CAST(revenue AS varchar) FROM iceberg.lakehouse.late WHERE order_id = ${last[0]}`,
      ),
    ).toBe("123456789.50");
  });

  it("a load killed halfway (SIGKILL) and run again leaves every row exactly once", async () => {
    const file = join(raw, "killed.csv");
    writeFileSync(file, `${[...salesLines(200_000, 7)].join("\n")}\n`);
    const settings = stack.settings();
    const child = spawn(
      installedTools(settings.paths.cache).python,
      ["-m", "lakehouse_loader", "ingest", file],
      {
        env: { ...process.env, ...pipelineEnv(settings) },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    // Kill it the moment it starts committing: the file was read, the raw zone's object and
    // the table's data files are being uploaded, the table (created by the commit) is not
    // there yet.
    let killed = false;
    let progress = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (text: string) => {
      progress += text;
      if (!killed && progress.includes("committing to")) {
        killed = child.kill("SIGKILL");
      }
    });
    await new Promise((r) => child.once("exit", r));
    expect(killed, "the load finished before it could be killed").toBe(true);
    // Never half a file: no table yet, or (killed after the commit) all of its rows.
    const tables = await trino.query("SHOW TABLES FROM iceberg.lakehouse LIKE 'killed'");
    const before = tables.rows.length
      ? await scalar("SELECT count(*) FROM iceberg.lakehouse.killed")
      : 0;
    expect([0, 200_000]).toContain(before);

    const again = await ingest(file);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(
      before === 0 ? "iceberg.lakehouse.killed: 200000 rows" : "unchanged",
    );
    expect(await scalar("SELECT count(*) FROM iceberg.lakehouse.killed")).toBe(200_000);
    expect(await scalar("SELECT count(DISTINCT order_id) FROM iceberg.lakehouse.killed")).toBe(
      200_000,
    );
  });

  it("`ingest --table --contract` places files by table; a different file of the same name needs --replace; `drop` removes the table and only it", async () => {
    const rows = (bad: number | undefined) =>
      `id,amount\n${Array.from({ length: 30 }, (_, i) => `${i + 1},${i === bad ? "x" : i * 2}`).join("\n")}\n`;
    const first = join(stack.dir, "mine", "batch.csv");
    const second = join(stack.dir, "theirs", "batch.csv");
    mkdirSync(join(stack.dir, "mine"), { recursive: true });
    mkdirSync(join(stack.dir, "theirs"), { recursive: true });
    writeFileSync(first, rows(undefined));
    writeFileSync(second, rows(4));
    const contract = join(stack.dir, "pinned.yaml");
    writeFileSync(contract, "columns:\n  amount: {type: bigint}\nmax_reject_ratio: 0.5\n");

    const loaded = await ingest(first, "--table", "drop_me", "--contract", contract);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stdout).toContain(
      "data/raw/drop_me/batch.csv → iceberg.lakehouse.drop_me: 30 rows",
    );
    expect(readFileSync(join(raw, "drop_me.contract.yaml"), "utf8")).toContain("max_reject_ratio");

    // Same name, other content: refused without --replace (no terminal to ask), nothing changed.
    const refused = await ingest(second, "--table", "drop_me");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already holds a different file.*--replace/);
    expect(refused.stderr).not.toMatch(/\n\s+at /); // one line, no stack trace
    expect(readFileSync(join(raw, "drop_me", "batch.csv"), "utf8")).toBe(rows(undefined));
    const replaced = await ingest(second, "--table", "drop_me", "--replace");
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toContain("29 rows, 1 rejected");
    expect(await scalar("SELECT count(*) FROM iceberg.lakehouse.drop_me")).toBe(29);
    expect(await scalar(`SELECT count(*) FROM iceberg.lakehouse.${rejectsTable("drop_me")}`)).toBe(
      1,
    );

    await stack.ok(["dashboards"]); // its dashboard, which drop must remove
    const salesBefore = await scalar<number>("SELECT count(*) FROM iceberg.lakehouse.sales_sample");
    const unconfirmed = await stack.run(["drop", "drop_me"]);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toContain("pass --yes");
    const mistyped = await stack.run(["drop", "drop_m", "--yes"]);
    expect(mistyped.stderr).toContain("Did you mean drop_me?");

    const dropped = await stack.run(["drop", "drop_me", "--yes"]);
    expect(dropped.code, dropped.stderr).toBe(0);
    const tables = await trino.query("SHOW TABLES FROM iceberg.lakehouse LIKE 'drop_me%'");
    expect(tables.rows).toEqual([]);
    expect(
      await scalar(
        `SELECT count(*) FROM iceberg.lakehouse.${LEDGER_TABLE} WHERE table_name = 'drop_me'`,
      ),
    ).toBe(0);
    // Its files left data/raw/ (the watch cannot load them again) and were kept.
    expect(existsSync(join(raw, "drop_me"))).toBe(false);
    expect(existsSync(join(raw, "drop_me.contract.yaml"))).toBe(false);
    const kept = readdirSync(join(dataDir, "dropped"), { recursive: true }).map(String);
    expect(kept).toEqual(expect.arrayContaining([expect.stringMatching(/batch\.csv$/)]));
    // No object of it is left in either bucket.
    const settings = stack.settings();
    const s3 = s3Client(settings);
    for (const [bucket, prefix] of [
      [settings.s3.bucket, rawPrefix("drop_me")],
      [settings.s3.bucket, rejectsPrefix("drop_me")],
    ] as const) {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      expect({ prefix, objects: listed.KeyCount ?? 0 }).toEqual({ prefix, objects: 0 });
    }
    const warehouse = await s3.send(
      new ListObjectsV2Command({ Bucket: settings.s3.warehouseBucket }),
    );
    expect(
      (warehouse.Contents ?? []).map((o) => o.Key).filter((k) => k?.includes("drop_me")),
    ).toEqual([]);
    // Other tables untouched; its dashboard gone.
    expect(await scalar("SELECT count(*) FROM iceberg.lakehouse.sales_sample")).toBe(salesBefore);
    expect(dropped.stderr).toContain("removed the dashboard and dataset of drop_me");
  });

  it("a keyed table: a later file updates, inserts and deletes by key in one commit; the same file again changes nothing", async () => {
    mkdirSync(join(raw, "customers"), { recursive: true });
    writeFileSync(join(raw, "customers.contract.yaml"), "primary_key: [id]\ndelete_column: op\n");
    const first = join(raw, "customers", "1.csv");
    writeFileSync(first, "id,name,spend,op\n1,Ana,10.50,I\n2,Ben,20.00,I\n3,Cy,30.00,I\n");
    const loaded = await ingest(first);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect(loaded.stdout).toContain("3 rows (3 inserted, 0 updated, 0 deleted)");

    const second = join(raw, "customers", "2.csv");
    writeFileSync(second, "id,name,spend,op\n2,Ben,1.00,U\n4,Di,40.00,I\n3,,,D\n2,Ben,25.00,U\n");
    const changed = await ingest(second);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toContain(
      "4 rows (1 inserted, 1 updated, 1 deleted; 1 earlier row of a key overridden by its last)",
    );
    const read = async () =>
      (
        await trino.query(
          `SELECT id, name, CAST(spend AS varchar), ${SOURCE_FILE} FROM iceberg.lakehouse.customers ORDER BY id`,
        )
      ).rows;
    const expected = [
      [1, "Ana", "10.50", "data/raw/customers/1.csv"],
      [2, "Ben", "25.00", "data/raw/customers/2.csv"],
      [4, "Di", "40.00", "data/raw/customers/2.csv"],
    ];
    expect(await read()).toEqual(expected);
    const snapshots = await scalar('SELECT count(*) FROM iceberg.lakehouse."customers$snapshots"');

    // The first file again (its rows were since updated by the second): nothing changes.
    const replay = await ingest(first);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toContain("unchanged");
    expect(await read()).toEqual(expected);
    expect(await scalar('SELECT count(*) FROM iceberg.lakehouse."customers$snapshots"')).toBe(
      snapshots,
    );
  });
});
