/**
 * What the last provisioning wrote, so that the next one touches only what changed: per
 * dashboard, a fingerprint of everything its spec is made from (the code that builds it,
 * its tables' columns and loads, the dataset ids) and Superset's `changed_on` after the
 * write. A dashboard is rebuilt when either differs: its inputs changed, or Superset's copy
 * did (a hand edit, a restore, a new Superset).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { projectRoot } from "../config/paths.ts";
import type { KnownShape } from "./table-shapes.ts";

export interface Written {
  id: number;
  fingerprint: string;
  changedOn: string;
}

export interface ProvisionState {
  /** Superset's address and connection id: another Superset starts from nothing. */
  superset: string;
  dashboards: Record<string, Written>;
  /** Per physical dataset, the columns it was last refreshed with. */
  datasets: Record<string, string>;
  /** Per table, its columns as last read (table-shapes.ts). */
  tables: Record<string, KnownShape>;
  /** Per SQL dataset, the code that last refreshed its columns. */
  virtual: Record<string, string>;
}

export function loadState(file: string, superset: string): ProvisionState {
  try {
    const state = JSON.parse(readFileSync(file, "utf8")) as ProvisionState;
    if (state.superset === superset)
      return { ...state, tables: state.tables ?? {}, virtual: state.virtual ?? {} };
  } catch {
    // None yet, or unreadable: everything is written again.
  }
  return { superset, dashboards: {}, datasets: {}, tables: {}, virtual: {} };
}

export function saveState(file: string, state: ProvisionState): void {
  mkdirSync(dirname(file), { recursive: true });
  // Whole or not at all: a crash mid-write must not leave half a state behind.
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 1));
  renameSync(`${file}.tmp`, file);
}

let codeHash: string | undefined;

/** The code that turns tables into dashboards: a new version rebuilds every dashboard. */
function provisioningCode(): string {
  if (codeHash === undefined) {
    const hash = createHash("sha256");
    const folder = join(projectRoot, "src", "superset");
    for (const name of readdirSync(folder).sort()) hash.update(readFileSync(join(folder, name)));
    codeHash = hash.digest("hex");
  }
  return codeHash;
}

export function fingerprint(...parts: unknown[]): string {
  return createHash("sha256")
    .update(provisioningCode())
    .update(JSON.stringify(parts))
    .digest("hex")
    .slice(0, 32);
}
