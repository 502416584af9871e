import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trinoClient } from "../../src/bootstrap/bootstrap.ts";
import type { TrinoClient } from "../../src/clients/trino.ts";
import { LEDGER_TABLE, rejectsTable } from "../../src/pipeline/conventions.ts";
import { sharedStack } from "./harness.ts";

/**
 * Real-world and hostile CSV files, all loaded in one `ingest --direct` run; each has an
 * asserted outcome read back through Trino: loaded, loaded with quarantined rows, or a
 * clear error that names the file and leaves no table behind.
 */
const stack = sharedStack("direct");
const dataDir = join(stack.dir, "data");
const raw = join(dataDir, "raw");
let trino: TrinoClient;
let output = "";

const rows = (n: number, make: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => make(i)).join("\n");
const TEN_MB = 10 * 1024 * 1024;

const FILES: Record<string, string | Buffer> = {
  "empty.csv": "",
  "header_only.csv": "id,name\n",
  "header_required.csv": "id,name\n",
  "header_required.contract.yaml": "require_rows: true\n",
  "ragged.csv": `id,name,qty\n${rows(30, (i) => (i === 9 ? `${i},x,1,extra` : `${i},x,1`))}\n`,
  "semicolons.csv": "id;city;amount\n1;Paris;1.50\n2;Lyon;2.25\n",
  "latin1.csv": Buffer.concat([
    Buffer.from("id,city\n1,Paris\n2,"),
    Buffer.from([0x4d, 0xfc, 0x6e, 0x63, 0x68, 0x65, 0x6e]),
    Buffer.from("\n"),
  ]),
  "bom.csv": Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("id,name\n1,a\n")]),
  "quoted_newlines.csv": 'id,note\n1,"first line\nsecond line"\n2,"say ""hi"", twice"\n',
  "duplicate_headers.csv": "id,name,name\n1,a,b\n",
  "injection.csv": 'id"; DROP TABLE sales; --,value\n1,2\n',
  "big_field.csv": `id,blob\n1,${"x".repeat(TEN_MB)}\n`,
  "all_null.csv": "id,empty\n1,\n2,\n",
  "mixed_types.csv": "id,code\n1,10\n2,ten\n",
  "mixed_dates.csv": "id,day\n1,2026-01-03\n2,03/01/2026\n",
  "trailing_delimiter.csv": "a,b,\n1,2,\n3,4,\n",
  "binary.csv": Buffer.from([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 1,
    0,
  ]),
  "crlf.csv": "id,name\r\n1,alpha\r\n2,beta\r\n",
};

async function query(sql: string): Promise<unknown[][]> {
  return (await trino.query(sql)).rows;
}

async function columns(table: string): Promise<Record<string, string>> {
  const result = await trino.query<[string, string]>(
    `SELECT column_name, data_type FROM iceberg.information_schema.columns WHERE table_schema = 'lakehouse' AND table_name = '${table}' AND column_name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY ordinal_position`,
  );
  return Object.fromEntries(result.rows);
}

async function tableExists(table: string): Promise<boolean> {
  return (await query(`SHOW TABLES FROM iceberg.lakehouse LIKE '${table}'`)).length > 0;
}

function errorLine(file: string): string {
  return output.split("\n").find((line) => line.includes(`✗ data/raw/${file}`)) ?? "";
}

beforeAll(async () => {
  mkdirSync(raw, { recursive: true });
  await stack.start();
  // These files are loaded directly, in one run: Airflow's runs stay out.
  await stack.pauseScheduledIngest();
  for (const [name, content] of Object.entries(FILES)) writeFileSync(join(raw, name), content);
  trino = trinoClient(stack.settings());
  const csvs = Object.keys(FILES)
    .filter((f) => f.endsWith(".csv"))
    .map((f) => join(raw, f));
  const result = await stack.run(["ingest", "--direct", ...csvs]);
  output = result.stdout;
  // Some files are meant to fail, so the run as a whole exits non-zero.
  expect(result.code).toBe(1);
});

afterAll(async () => {
  await stack.release();
});

describe("bad input", () => {
  it("an empty file is an error and creates no table", async () => {
    expect(errorLine("empty.csv")).toMatch(/empty/i);
    expect(errorLine("empty.csv")).toContain("Fix:");
    expect(await tableExists("empty")).toBe(false);
  });

  it("a header-only file loads zero rows; with require_rows it is an error", async () => {
    expect(await query("SELECT count(*) FROM iceberg.lakehouse.header_only")).toEqual([[0]]);
    expect(errorLine("header_required.csv")).toMatch(/no data rows|header only|require/i);
    expect(await tableExists("header_required")).toBe(false);
  });

  it("a ragged row is quarantined with its line and reason; the rest loads", async () => {
    expect(await query("SELECT count(*) FROM iceberg.lakehouse.ragged")).toEqual([[29]]);
    expect(
      await query(`SELECT line, raw, reason FROM iceberg.lakehouse.${rejectsTable("ragged")}`),
    ).toEqual([[11, "9,x,1,extra", "expected 3 fields, found 4"]]);
  });

  it("a semicolon-delimited file is detected and split into its columns", async () => {
    expect(await columns("semicolons")).toEqual({
      id: "bigint",
      city: "varchar",
      amount: "decimal(3,2)",
    });
    expect(await query("SELECT city FROM iceberg.lakehouse.semicolons ORDER BY id")).toEqual([
      ["Paris"],
      ["Lyon"],
    ]);
  });

  it("invalid UTF-8 is an error naming the line and the fix", async () => {
    expect(errorLine("latin1.csv")).toMatch(/line 3/);
    expect(errorLine("latin1.csv")).toMatch(/UTF-8/);
    expect(errorLine("latin1.csv")).toMatch(/latin-1/);
    expect(await tableExists("latin1")).toBe(false);
  });

  it("a byte-order mark is not part of the first column's name", async () => {
    expect(Object.keys(await columns("bom"))).toEqual(["id", "name"]);
  });

  it("quoted fields keep their newlines, delimiters and quotes", async () => {
    expect(await query("SELECT note FROM iceberg.lakehouse.quoted_newlines ORDER BY id")).toEqual([
      ["first line\nsecond line"],
      ['say "hi", twice'],
    ]);
  });

  it("duplicate headers get distinct names", async () => {
    expect(Object.keys(await columns("duplicate_headers"))).toEqual(["id", "name", "name_2"]);
  });

  it("a header that looks like SQL injection becomes a harmless identifier", async () => {
    expect(Object.keys(await columns("injection"))).toEqual(["id_drop_table_sales", "value"]);
    expect(
      await query("SELECT id_drop_table_sales, value FROM iceberg.lakehouse.injection"),
    ).toEqual([[1, 2]]);
  });

  it("a 10 MB field loads whole", async () => {
    expect(await query("SELECT length(blob) FROM iceberg.lakehouse.big_field")).toEqual([[TEN_MB]]);
  });

  it("an all-empty column loads as nulls", async () => {
    expect(await columns("all_null")).toEqual({ id: "bigint", empty: "varchar" });
    expect(await query("SELECT count(*), count(empty) FROM iceberg.lakehouse.all_null")).toEqual([
      [2, 0],
    ]);
  });

  it("a column of mixed types becomes text, losing nothing", async () => {
    expect(await columns("mixed_types")).toEqual({ id: "bigint", code: "varchar" });
    expect(await query("SELECT code FROM iceberg.lakehouse.mixed_types ORDER BY id")).toEqual([
      ["10"],
      ["ten"],
    ]);
  });

  it("dates in mixed formats stay text unless a contract names the format", async () => {
    expect(await columns("mixed_dates")).toEqual({ id: "bigint", day: "varchar" });
    expect(await query("SELECT day FROM iceberg.lakehouse.mixed_dates ORDER BY id")).toEqual([
      ["2026-01-03"],
      ["03/01/2026"],
    ]);
  });

  it("a trailing delimiter on every line adds no column", async () => {
    expect(Object.keys(await columns("trailing_delimiter"))).toEqual(["a", "b"]);
    expect(await query("SELECT count(*) FROM iceberg.lakehouse.trailing_delimiter")).toEqual([[2]]);
  });

  it("a binary file renamed .csv is refused as not delimited text", async () => {
    expect(errorLine("binary.csv")).toMatch(/not delimited text/i);
    expect(await tableExists("binary")).toBe(false);
  });

  it("CRLF line endings leave no carriage returns in values", async () => {
    expect(await query("SELECT name FROM iceberg.lakehouse.crlf ORDER BY id")).toEqual([
      ["alpha"],
      ["beta"],
    ]);
  });

  it("records every load in the ledger: accepted + rejected = data rows", async () => {
    const ledger = await query(
      `SELECT file_path, data_rows, rows_accepted + rows_rejected FROM iceberg.lakehouse.${LEDGER_TABLE} WHERE status = 'loaded'`,
    );
    expect(ledger.length).toBe(13);
    for (const [file, dataRows, total] of ledger)
      expect({ file, total }).toEqual({ file, total: dataRows });
  });
});
