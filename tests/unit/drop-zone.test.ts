import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/config/paths.ts";
import { dropZoneListing, isCsvName } from "../../src/pipeline/drop-zone.ts";

/** Files of a drop zone (data/raw/), and whether the rule loads each. */
const TREE: Record<string, boolean> = {
  "ORDERS.CSV": true,
  "payments.csv": true,
  "Report.Csv": true,
  "é-ventes.csv": true,
  // Code point order (the loader's) and UTF-16 order (JavaScript's default) differ here.
  "ﬀ.csv": true,
  "😀.csv": true,
  "a.csv": true,
  "a/b.csv": true,
  "orders/jan.csv": true,
  "orders/FEB.CSV": true,
  "folder.csv/inner.csv": true,
  "notes.txt": false,
  "orders.csv.bak": false,
  "orders.csv~": false,
  ".hidden.csv": false,
  ".orders.csv.partial": false,
  ".#orders.csv": false,
  "~$orders.csv": false,
  "orders/.#jan.csv": false,
  "orders/~$feb.csv": false,
  "orders/readme.md": false,
  "orders/2026/mar.csv": false,
  ".git/x.csv": false,
  "~backup/x.csv": false,
};

function dropZone(): string {
  const raw = join(mkdtempSync(join(tmpdir(), "lakehouse-drop-zone-")), "raw");
  for (const file of Object.keys(TREE)) {
    mkdirSync(dirname(join(raw, file)), { recursive: true });
    writeFileSync(join(raw, file), "a,b\n1,2\n");
  }
  mkdirSync(join(raw, "empty"));
  symlinkSync(join(raw, "payments.csv"), join(raw, "link.csv"));
  symlinkSync(join(raw, "missing.csv"), join(raw, "broken.csv"));
  return raw;
}

/** The loader's listing of the same folder: `python -m lakehouse_loader list`. */
function loaderListing(raw: string): string[] {
  const loader = join(projectRoot, "loader");
  const out = execFileSync("python3", ["-m", "lakehouse_loader", "list", "--raw-dir", raw], {
    cwd: loader,
    env: { ...process.env, PYTHONPATH: loader },
    encoding: "utf8",
  });
  return JSON.parse(out) as string[];
}

describe("the drop zone's listing", () => {
  const raw = dropZone();
  const expected = [
    ...Object.entries(TREE)
      .filter(([, loads]) => loads)
      .map(([file]) => file),
    "link.csv",
  ];

  it("is the same in the CLI (`up`) and the loader (the drop zone's watch)", () => {
    expect(dropZoneListing(raw)).toEqual(loaderListing(raw));
  });

  it("takes .csv in any case, one folder deep, and leaves hidden and lock files out", () => {
    expect([...dropZoneListing(raw)].sort()).toEqual([...expected].sort());
  });

  it("sorts by code point, as the loader does", () => {
    const listed = dropZoneListing(raw);
    expect(listed.indexOf("a.csv")).toBeLessThan(listed.indexOf("a/b.csv"));
    expect(listed.indexOf("ﬀ.csv")).toBeLessThan(listed.indexOf("😀.csv"));
  });

  it("is empty for a drop zone that does not exist", () => {
    expect(dropZoneListing(join(raw, "nowhere"))).toEqual([]);
    expect(loaderListing(join(raw, "nowhere"))).toEqual([]);
  });

  it("names: .csv in any case, never hidden or an editor's lock", () => {
    expect(["x.csv", "X.CSV", "x.Csv"].map(isCsvName)).toEqual([true, true, true]);
    expect([".x.csv", "~$x.csv", ".#x.csv", "x.csv.swp", "x.cſv"].map(isCsvName)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
