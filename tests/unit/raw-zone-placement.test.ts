import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../../src/cli/user-error.ts";
import type { Settings } from "../../src/config/settings.ts";
import { rejectsTable } from "../../src/pipeline/conventions.ts";
import {
  contractTarget,
  copyIntoRawZone,
  differs,
  rawZoneTarget,
} from "../../src/pipeline/raw-zone-placement.ts";

function setup() {
  const root = mkdtempSync(join(tmpdir(), "placement-"));
  const data = join(root, "data");
  mkdirSync(join(data, "raw"), { recursive: true });
  const s = { paths: { data, root } } as unknown as Settings;
  const outside = join(root, "orders.csv");
  writeFileSync(outside, "id\n1\n");
  return { s, raw: join(data, "raw"), outside, root };
}

describe("where ingest puts a file", () => {
  it("by its name, or in the folder of --table", () => {
    const { s, raw, outside } = setup();
    expect(rawZoneTarget(s, outside)).toBe(join(raw, "orders.csv"));
    expect(rawZoneTarget(s, outside, { table: "shop" })).toBe(join(raw, "shop", "orders.csv"));
    expect(contractTarget(s, [join(raw, "shop", "orders.csv")])).toBe(
      join(raw, "shop.contract.yaml"),
    );
    expect(contractTarget(s, [join(raw, "orders.csv")])).toBe(join(raw, "orders.contract.yaml"));
    expect(() => contractTarget(s, [join(raw, "a.csv"), join(raw, "b.csv")])).toThrow(
      /--contract is for one table; these files go to a, b/,
    );
  });

  it("refuses a table name the loader would not keep as given, and a missing file", () => {
    const { s, outside } = setup();
    for (const bad of ["Orders", "1st", rejectsTable("x"), "a-b", ""]) {
      expect(() => rawZoneTarget(s, outside, { table: bad })).toThrow(UserError);
    }
    expect(() => rawZoneTarget(s, "/nonexistent/x.csv")).toThrow(/no such file/);
  });

  it("never replaces a different file of the same name unless asked", () => {
    const { s, raw, outside, root } = setup();
    const target = rawZoneTarget(s, outside);
    copyIntoRawZone(outside, target);
    expect(readFileSync(target, "utf8")).toBe("id\n1\n");
    // The same content again: nothing to ask.
    expect(differs(outside, target)).toBe(false);
    expect(copyIntoRawZone(outside, target)).toBe(target);
    // Same size, other content; then another size.
    const other = join(root, "other", "orders.csv");
    mkdirSync(join(root, "other"));
    writeFileSync(other, "id\n2\n");
    expect(differs(other, target)).toBe(true);
    expect(() => copyIntoRawZone(other, target)).toThrow(
      /already holds a different file.*--replace/,
    );
    expect(readFileSync(target, "utf8")).toBe("id\n1\n");
    copyIntoRawZone(other, target, true);
    expect(readFileSync(target, "utf8")).toBe("id\n2\n");
    expect(rawZoneTarget(s, target)).toBe(target);
    expect(() => rawZoneTarget(s, target, { table: "shop" })).toThrow(/already in data\/raw\//);
    expect(raw).toBeTruthy();
  });
});
