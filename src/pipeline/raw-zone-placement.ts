/**
 * Where `lakehouse ingest` puts a file: data/raw/ is the one source of truth, so a file from
 * elsewhere is copied in first, under the name that makes its table (the loader's rule,
 * loader/lakehouse_loader/sources.py: data/raw/<name>.csv and data/raw/<name>/<any>.csv load
 * into <name>; data/raw/<name>.contract.yaml is their contract). A different file already
 * there under that name is never replaced unless asked to.
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { UserError } from "../cli/user-error.ts";
import type { Settings } from "../config/settings.ts";
import { isRejectsTable, REJECTS_SUFFIX } from "./conventions.ts";

export interface Placement {
  /** The table to load into, instead of the one the file's name makes. */
  table?: string;
  /** Replace a different file of the same name already in data/raw/. */
  replace?: boolean;
}

/** A table name as the loader makes them from file names: what `--table` accepts as is. */
const TABLE_NAME = /^[a-z][a-z0-9_]*$/;

const rawDir = (s: Settings) => join(s.paths.data, "raw");
const inside = (dir: string, path: string) => !relative(dir, path).startsWith("..");

function checkTableName(table: string): void {
  if (!TABLE_NAME.test(table) || isRejectsTable(table)) {
    throw new UserError(
      `--table ${table}: a table name is lower-case letters, digits and _, starting with a letter (e.g. --table orders_2026), and does not end in ${REJECTS_SUFFIX}.`,
    );
  }
}

/** Where a file given on the command line is loaded from, without copying anything yet. */
export function rawZoneTarget(s: Settings, file: string, placement: Placement = {}): string {
  const absolute = resolve(file);
  if (!existsSync(absolute)) throw new UserError(`${file}: no such file`);
  if (!statSync(absolute).isFile()) throw new UserError(`${file}: not a file`);
  const raw = rawDir(s);
  if (placement.table !== undefined) checkTableName(placement.table);
  if (inside(raw, absolute)) {
    if (placement.table !== undefined && tableFolder(raw, absolute) !== placement.table) {
      throw new UserError(
        `${file} is already in data/raw/ and loads into the table its name makes; move it to data/raw/${placement.table}/ to load it into ${placement.table}.`,
      );
    }
    return absolute;
  }
  return placement.table === undefined
    ? join(raw, basename(absolute))
    : join(raw, placement.table, basename(absolute));
}

/** The folder or file stem below data/raw/ that names a file's table and contract. */
function tableFolder(raw: string, path: string): string {
  const parts = relative(raw, path).split(/[\\/]/);
  return parts.length > 1 ? (parts[0] ?? "") : basename(path).replace(/\.[^.]*$/, "");
}

/** The contract file for the files' table: data/raw/<name>.contract.yaml. */
export function contractTarget(s: Settings, targets: string[]): string {
  const raw = rawDir(s);
  const bases = [...new Set(targets.map((t) => tableFolder(raw, t)))];
  if (bases.length !== 1) {
    throw new UserError(
      `--contract is for one table; these files go to ${bases.join(", ")}. Ingest them separately, or give --table NAME.`,
    );
  }
  return join(raw, `${bases[0]}.contract.yaml`);
}

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** Whether `target` exists with a content other than `source`'s (size first, then a hash). */
export function differs(source: string, target: string): boolean {
  if (!existsSync(target) || resolve(source) === resolve(target)) return false;
  if (statSync(source).size !== statSync(target).size) return true;
  return sha256(source) !== sha256(target);
}

/**
 * Copies `source` to `target` (in data/raw/) unless it is already there with the same
 * content. A different file there is replaced only with `replace`.
 */
export function copyIntoRawZone(source: string, target: string, replace = false): string {
  const absolute = resolve(source);
  if (absolute === target) return target;
  if (existsSync(target) && !differs(absolute, target)) return target;
  if (existsSync(target) && !replace) {
    throw new UserError(
      `${target} already holds a different file of that name. Pass --replace to load yours in its place, or rename yours.`,
    );
  }
  mkdirSync(dirname(target), { recursive: true });
  // Copied under a hidden name, then renamed: the drop zone's watch never sees half a file.
  const partial = join(dirname(target), `.${basename(target)}.partial`);
  copyFileSync(absolute, partial);
  renameSync(partial, target);
  return target;
}

/** A file outside data/raw/ is copied in first (under its own name): the drop zone is the one source of truth. */
export function intoRawZone(s: Settings, file: string): string {
  return copyIntoRawZone(file, rawZoneTarget(s, file));
}
