/**
 * `lakehouse drop TABLE`: everything the platform holds of one table goes, and nothing of
 * any other. Its CSV files are moved out of data/raw/ first, into data/dropped/, so the next
 * drop zone's watch cannot load them again (and nothing the user gave is deleted); then the
 * table and its rejects table are dropped through Trino (the Iceberg connector removes
 * their files), its ledger rows deleted, and its raw-zone objects removed. Dashboards are
 * the caller's next step: provisioning removes those of tables that no longer exist.
 */
import { existsSync, mkdirSync, readdirSync, renameSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { DeleteObjectsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { closest } from "../cli/command-line.ts";
import { plural } from "../cli/reporter.ts";
import { UserError } from "../cli/user-error.ts";
import { s3Client } from "../clients/s3.ts";
import type { TrinoClient } from "../clients/trino.ts";
import { quoteIdentifier, quoteLiteral } from "../clients/trino.ts";
import type { Settings } from "../config/settings.ts";
import {
  isRecordTable,
  isRejectsTable,
  LEDGER_TABLE,
  rawPrefix,
  rejectsPrefix,
  rejectsTable,
} from "./conventions.ts";

export interface DropPlan {
  table: string;
  rows: number;
  /** Whether its rejects table exists. */
  rejects: boolean;
  /** Its ledger rows. */
  loads: number;
  /** Its files and contract in data/raw/, absolute. */
  files: string[];
}

/** What dropping `table` would remove; a UserError naming the tables when it is none of them. */
export async function planDrop(s: Settings, trino: TrinoClient, table: string): Promise<DropPlan> {
  const listed = await trino.query(`SHOW TABLES FROM ${s.trino.catalog}.${s.trino.schema}`);
  const tables = listed.rows.map((r) => String(r[0]));
  const own = tables.filter((t) => !isRejectsTable(t) && !isRecordTable(t));
  if (isRecordTable(table) || isRejectsTable(table)) {
    throw new UserError(
      `${table} belongs to the platform${isRejectsTable(table) ? ` (drop ${table.slice(0, -rejectsTable("").length)} to drop it with its table)` : ""}. Tables: ${own.join(", ") || "none"}.`,
    );
  }
  if (!own.includes(table)) {
    const guess = closest(table, own);
    throw new UserError(
      `No table ${table}.${guess ? ` Did you mean ${guess}?` : ""} Tables: ${own.join(", ") || "none"}.`,
    );
  }
  const name = (t: string) => `${s.trino.catalog}.${s.trino.schema}.${quoteIdentifier(t)}`;
  const count = await trino.query(`SELECT count(*) FROM ${name(table)}`);
  const loads = tables.includes(LEDGER_TABLE)
    ? await trino.query(
        `SELECT count(*) FROM ${name(LEDGER_TABLE)} WHERE table_name = ${quoteLiteral(table)}`,
      )
    : undefined;
  return {
    table,
    rows: Number(count.rows[0]?.[0] ?? 0),
    rejects: tables.includes(rejectsTable(table)),
    loads: Number(loads?.rows[0]?.[0] ?? 0),
    files: filesOf(s, table),
  };
}

/**
 * The files in data/raw/ that load into `table`: data/raw/<table>.csv, data/raw/<table>/,
 * and its contract. A file whose name only normalises to the table (data/raw/Orders.csv)
 * is found by the ledger's paths in `drop`, not here.
 */
function filesOf(s: Settings, table: string): string[] {
  const raw = join(s.paths.data, "raw");
  if (!existsSync(raw)) return [];
  return readdirSync(raw)
    .filter((name) => {
      const stem = name.replace(/\.contract\.yaml$/i, "").replace(/\.csv$/i, "");
      return stem === table;
    })
    .map((name) => join(raw, name));
}

/** Removes what `plan` lists; returns where the CSV files went. */
export async function dropTable(
  s: Settings,
  trino: TrinoClient,
  plan: DropPlan,
  progress: (line: string) => void,
): Promise<string | undefined> {
  const name = (t: string) => `${s.trino.catalog}.${s.trino.schema}.${quoteIdentifier(t)}`;
  // The ledger's file paths too (data/raw/Orders.csv loads into orders).
  const ledgered = plan.loads
    ? await trino.query(
        `SELECT DISTINCT file_path FROM ${name(LEDGER_TABLE)} WHERE table_name = ${quoteLiteral(plan.table)}`,
      )
    : undefined;
  const fromLedger = (ledgered?.rows ?? [])
    .map((r) => join(s.paths.data, relative("data", String(r[0]))))
    .filter(
      (path) => existsSync(path) && !plan.files.some((f) => path === f || path.startsWith(`${f}/`)),
    );
  const files = [...plan.files, ...fromLedger];
  let movedTo: string | undefined;
  if (files.length > 0) {
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
    movedTo = join(s.paths.data, "dropped", `${plan.table}-${stamp}`);
    const raw = join(s.paths.data, "raw");
    for (const file of files) {
      const target = join(movedTo, relative(raw, file));
      mkdirSync(dirname(target), { recursive: true });
      renameSync(file, target);
    }
    progress(`moved ${files.length} file(s) from data/raw/ to ${relative(s.paths.root, movedTo)}/`);
  }
  if (plan.rejects) {
    await trino.query(`DROP TABLE IF EXISTS ${name(rejectsTable(plan.table))}`);
    progress(`dropped ${rejectsTable(plan.table)}`);
  }
  await trino.query(`DROP TABLE IF EXISTS ${name(plan.table)}`);
  progress(`dropped ${plan.table} (${plural(plan.rows, "row")})`);
  if (plan.loads) {
    await trino.query(
      `DELETE FROM ${name(LEDGER_TABLE)} WHERE table_name = ${quoteLiteral(plan.table)}`,
    );
    progress(`deleted its ${plan.loads} load record(s)`);
  }
  const objects = await deletePrefixes(s, [rawPrefix(plan.table), rejectsPrefix(plan.table)]);
  if (objects > 0) progress(`deleted its ${objects} raw-zone object(s)`);
  return movedTo;
}

/** Deletes every object under the prefixes in the raw-zone bucket; returns how many. */
async function deletePrefixes(s: Settings, prefixes: string[]): Promise<number> {
  const s3 = s3Client(s);
  let deleted = 0;
  for (const prefix of prefixes) {
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: s.s3.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length > 0) {
        await s3.send(
          new DeleteObjectsCommand({ Bucket: s.s3.bucket, Delete: { Objects: keys, Quiet: true } }),
        );
        deleted += keys.length;
      }
      token = page.NextContinuationToken;
    } while (token);
  }
  return deleted;
}
