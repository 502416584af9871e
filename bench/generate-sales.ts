/**
 * Writes a sales CSV of the sample's shape: by rows or by approximate size.
 *
 *   npx tsx bench/generate-sales.ts --out /tmp/sales-1g.csv --size-mb 1024
 *   npx tsx bench/generate-sales.ts --out data/raw/sales_sample.csv --rows 3000
 */
import { createWriteStream } from "node:fs";
import { parseArgs } from "node:util";
import { salesLines } from "../src/sample/sales.ts";

const { values } = parseArgs({
  options: {
    out: { type: "string" },
    rows: { type: "string" },
    "size-mb": { type: "string" },
    seed: { type: "string", default: "42" },
  },
});
if (!values.out || (!values.rows && !values["size-mb"])) {
  console.error("usage: generate-sales.ts --out FILE (--rows N | --size-mb M) [--seed S]");
  process.exit(2);
}
// A sample row is ~110 bytes; generate by size with a generous row budget and stop at the size.
const limitBytes = values["size-mb"]
  ? Number(values["size-mb"]) * 1024 * 1024
  : Number.POSITIVE_INFINITY;
const rows = values.rows ? Number(values.rows) : Math.ceil(limitBytes / 60);
const out = createWriteStream(values.out);
let bytes = 0;
let written = -1;
for (const line of salesLines(rows, Number(values.seed))) {
  if (bytes + line.length + 1 > limitBytes) break;
  bytes += Buffer.byteLength(line) + 1;
  written++;
  if (!out.write(`${line}\n`)) await new Promise<void>((r) => out.once("drain", () => r()));
}
out.end();
console.error(`wrote ${written} rows, ${(bytes / 1024 / 1024).toFixed(1)} MiB to ${values.out}`);
