import { readdirSync, type Stats, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { Settings } from "../config/settings.ts";
import { CSV_SUFFIX, SKIPPED_PREFIXES } from "./conventions.ts";

/*
 * Which files in the drop zone, data/raw/, are CSV files to load: the rule of the loader's
 * drop zone's watch (loader/lakehouse_loader/drop_zone.py), implemented the same way here for
 * `./lakehouse up`. tests/unit/drop-zone.test.ts runs both on one directory tree and fails
 * when they differ.
 *
 * - data/raw/<name>.csv and data/raw/<name>/<any>.csv, nothing deeper;
 * - .csv in any case (ORDERS.CSV too);
 * - names starting with "." or "~" are left out, files and folders alike: hidden files, a
 *   copy in progress (.orders.csv.partial), editors' lock files (.#orders.csv, ~$orders.csv);
 * - regular files only (a link to one counts), sorted by their path below data/raw/.
 */

const visible = (name: string) => !SKIPPED_PREFIXES.some((prefix) => name.startsWith(prefix));

/** A visible name ending in .csv, in any case (ASCII only, as the loader compares it). */
export function isCsvName(name: string): boolean {
  const suffix = name.slice(-CSV_SUFFIX.length);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range, as Python's isascii()
  return visible(name) && /^[\x00-\x7f]*$/.test(suffix) && suffix.toLowerCase() === CSV_SUFFIX;
}

/** The visible names in a folder; none when it cannot be read. */
function names(folder: string): string[] {
  try {
    return readdirSync(folder, { encoding: "utf8" }).filter(visible);
  } catch {
    return [];
  }
}

/** What a path is, following links; undefined when it cannot be read. */
function kind(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Code point order, as Python sorts strings (UTF-16 order differs above U+FFFF). */
const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The CSV files to load, as POSIX paths below `raw` (data/raw/), in the loader's order. */
export function dropZoneListing(raw: string): string[] {
  const found: string[] = [];
  for (const name of names(raw)) {
    const path = join(raw, name);
    const stats = kind(path);
    if (stats?.isFile()) {
      if (isCsvName(name)) found.push(name);
    } else if (stats?.isDirectory()) {
      for (const inner of names(path)) {
        if (isCsvName(inner) && kind(join(path, inner))?.isFile()) found.push(`${name}/${inner}`);
      }
    }
  }
  return found.sort(byCodePoint);
}

/** How the DAG, the ledger and lineage name a file: data/raw/..., whatever the data dir. */
export function sourceName(s: Settings, path: string): string {
  return join("data", relative(s.paths.data, path)).split("\\").join("/");
}
