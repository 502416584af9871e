import { Writable } from "node:stream";
import { parse } from "lossless-json";
import { describe, expect, it } from "vitest";
import { cellText, writeRows } from "../../src/cli/sql-output.ts";

/** Trino's JSON answer for a row, read as the client's exact mode reads it. */
const trinoRows = (json: string) => parse(json) as unknown[][];

function output(format: "table" | "csv" | "json", json: string): string {
  let text = "";
  const out = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  const columns = [
    { name: "snapshot_id", type: "bigint" },
    { name: "price", type: "decimal(38,10)" },
    { name: "at", type: "timestamp(6) with time zone" },
    { name: "note", type: "varchar" },
  ];
  writeRows(columns, trinoRows(json), format, out);
  return text;
}

const ROW =
  '[[1631390391702656784, "12345678901234567890.1234567890", "2026-12-03 06:20:02.971313 UTC", "a, \\"quoted\\" note"], [-9223372036854775808, null, null, null]]';

describe("lakehouse sql prints every value exactly as Trino sent it", () => {
  it("bigints past 2^53 keep every digit (a JavaScript number would not)", () => {
    expect(Number("1631390391702656784").toString()).not.toBe("1631390391702656784");
    const table = output("table", ROW);
    expect(table).toContain("1631390391702656784");
    expect(table).toContain("-9223372036854775808");
    expect(table).toContain("12345678901234567890.1234567890");
    expect(table).toContain("2026-12-03 06:20:02.971313 UTC");
    expect(table.split("\n")[0]).toMatch(/^snapshot_id\s+price\s+at\s+note$/);
  });

  it("as CSV: quoted where needed, NULL as an empty field", () => {
    expect(output("csv", ROW).split("\n")).toEqual([
      "snapshot_id,price,at,note",
      '1631390391702656784,12345678901234567890.1234567890,2026-12-03 06:20:02.971313 UTC,"a, ""quoted"" note"',
      "-9223372036854775808,,,",
      "",
    ]);
  });

  it("as JSON lines, numbers unquoted and exact", () => {
    const [first] = output("json", ROW).split("\n");
    expect(first).toBe(
      '{"snapshot_id":1631390391702656784,"price":"12345678901234567890.1234567890","at":"2026-12-03 06:20:02.971313 UTC","note":"a, \\"quoted\\" note"}',
    );
  });

  it("arrays and maps as JSON, null as NULL", () => {
    expect(cellText(parse("[1, 2]"))).toBe("[1,2]");
    expect(cellText(parse('{"a": 9007199254740993}'))).toBe('{"a":9007199254740993}');
    expect(cellText(null)).toBe("NULL");
  });
});
