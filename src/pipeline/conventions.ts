/**
 * Names the CLI and the loader share: tables, columns, the Airflow pool, the raw zone's
 * object keys and the drop zone's rule. Defined once, in the loader's conventions.json,
 * which loader/lakehouse_loader/conventions.py reads too; tests/unit/conventions.test.ts
 * fails when the two disagree or a copy of a name appears in code elsewhere.
 */
import conventions from "../../loader/lakehouse_loader/conventions.json" with { type: "json" };

/** The lineage column: the file a row came from, as data/raw/... */
export const SOURCE_FILE: string = conventions.lineage_columns.source_file;
/** The lineage column: when the row was loaded. */
export const INGESTED_AT: string = conventions.lineage_columns.ingested_at;
export const LINEAGE_COLUMNS: readonly string[] = [SOURCE_FILE, INGESTED_AT];

/** A table's quarantined rows go to the table of its name and this suffix. */
export const REJECTS_SUFFIX: string = conventions.rejects_table_suffix;
/** The ledger: one row per load attempt. */
export const LEDGER_TABLE: string = conventions.ledger_table;
/** Every table's health as last measured, one row per table (the loader writes it). */
export const HEALTH_TABLE: string = conventions.health_table;
/** The Airflow pool every load (and every table's maintenance) runs in. */
export const LOAD_POOL: string = conventions.load_pool;

/** A load attempt's status in the ledger (what each means: conventions.json). */
export const LEDGER_STATUS = {
  loaded: conventions.ledger_status.loaded,
  rejected: conventions.ledger_status.rejected,
  failed: conventions.ledger_status.failed,
  changed: conventions.ledger_status.changed,
} as const;
/** Maintenance compacts data files smaller than this (MiB). */
export const SMALL_FILE_MB: number = conventions.small_file_mb;

export const SHA_CHARS: number = conventions.raw_zone.sha_chars;
/** The S3 landing zone's prefix in the bucket: s3://<bucket>/landing/<table>/<any>.csv. */
export const LANDING_PREFIX: string = conventions.landing_zone.prefix;
/** The drop zone's rule (drop-zone.ts). */
export const CSV_SUFFIX: string = conventions.drop_zone.csv_suffix;
export const SKIPPED_PREFIXES: readonly string[] = conventions.drop_zone.skipped_prefixes;

/** The table of `table`'s quarantined rows. */
export const rejectsTable = (table: string): string => `${table}${REJECTS_SUFFIX}`;
export const isRejectsTable = (name: string): boolean => name.endsWith(REJECTS_SUFFIX);
/** The platform's own record tables: the ledger and the health record (no file loads them). */
export const isRecordTable = (name: string): boolean =>
  name === LEDGER_TABLE || name === HEALTH_TABLE;

function key(template: string, table: string, name: string, sha: string): string {
  const values: Record<string, string> = { table, name, sha: sha.slice(0, SHA_CHARS) };
  return template.replace(/\{(\w+)\}/g, (_, field: string) => values[field] ?? "");
}

const prefix = (template: string, table: string) =>
  key(template.slice(0, template.indexOf("{name}")), table, "", "");

/** The raw zone's object of one version of a file: raw/<table>/<name>.<sha12>.parquet. */
export const rawKey = (table: string, name: string, sha: string): string =>
  key(conventions.raw_zone.rows_key, table, name, sha);
/** Its quarantined rows' object: rejects/<table>/<name>.<sha12>.parquet. */
export const rejectsKey = (table: string, name: string, sha: string): string =>
  key(conventions.raw_zone.rejects_key, table, name, sha);
/** The prefix of every raw-zone object of `table`: raw/<table>/. */
export const rawPrefix = (table: string): string => prefix(conventions.raw_zone.rows_key, table);
/** The prefix of every quarantined-rows object of `table`: rejects/<table>/. */
export const rejectsPrefix = (table: string): string =>
  prefix(conventions.raw_zone.rejects_key, table);
