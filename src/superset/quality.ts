/**
 * The SQL datasets of the Data quality dashboard (its charts: the asset bundle in
 * services/superset/assets/data-quality/): what state every file is in now, which rows are
 * in quarantine and why, and how healthy each table's files are, over the ledger, the
 * rejects tables and Iceberg's metadata tables. Their SQL lists the tables, so it is
 * written here and brought up to date on every provisioning.
 */
import { quoteIdentifier, quoteLiteral } from "../clients/trino.ts";
import {
  HEALTH_TABLE,
  INGESTED_AT,
  LEDGER_STATUS,
  LEDGER_TABLE,
  SOURCE_FILE,
} from "../pipeline/conventions.ts";

/** A Superset dataset defined by a query rather than a table. */
export interface VirtualDataset {
  /** Its name in Superset; provisioning finds it again by it. */
  name: string;
  sql: string;
}

export const FILE_STATUS = "Data quality · files";
export const QUARANTINE = "Data quality · quarantined rows";
export const TABLE_HEALTH = "Data quality · table health";

const FAILING = `(${quoteLiteral(LEDGER_STATUS.rejected)}, ${quoteLiteral(LEDGER_STATUS.failed)})`;

/** A keyed load's changes to its table, in the ledger of a loader that records them. */
const KEYED_COUNTS = ["rows_inserted", "rows_updated", "rows_deleted"];

/**
 * Every file's latest attempt. An attempt that saw the file change under it says nothing
 * of the file (the next scan loads it), so it is passed over; a fixed file's latest
 * attempt is its successful load, and it stops counting as failed. `ledgerColumns`: a
 * ledger written before keyed loads lacks their counts until its next write (empty here).
 */
export function fileStatus(ledgerColumns: string[]): VirtualDataset {
  const keyed = KEYED_COUNTS.map((c) =>
    ledgerColumns.includes(c) ? c : `CAST(NULL AS bigint) AS ${c}`,
  );
  return {
    name: FILE_STATUS,
    sql: [
      "SELECT file_path, table_name, status, data_rows, rows_accepted, rows_rejected,",
      `  ${keyed.join(", ")},`,
      `  finished_at, message, status IN ${FAILING} AS needs_fix`,
      "FROM (",
      "  SELECT *, row_number() OVER (PARTITION BY file_path ORDER BY finished_at DESC) AS latest",
      `  FROM ${quoteIdentifier(LEDGER_TABLE)} WHERE status <> ${quoteLiteral(LEDGER_STATUS.changed)}`,
      ") WHERE latest = 1",
    ].join("\n"),
  };
}

/** A rejects table and its columns (older tables may lack some). */
export interface RejectsShape {
  /** The table whose rows these are. */
  table: string;
  rejects: string;
  columns: string[];
}

/**
 * Every quarantined row of every table, with its problem: the reason with the rejected
 * value left out, so that rows rejected for the same thing group together.
 */
export function quarantine(rejectTables: RejectsShape[]): VirtualDataset {
  const columns = ["column_name", "value", "reason", "raw"];
  const selects = rejectTables.slice(0, QUARANTINE_TABLES).map((r) => {
    const pick = (c: string) => (r.columns.includes(c) ? quoteIdentifier(c) : "NULL");
    return [
      `SELECT ${quoteLiteral(r.table)} AS table_name, ${pick(SOURCE_FILE)} AS file_path,`,
      `  ${pick("line")} AS line, ${columns.map((c) => `${pick(c)} AS ${c}`).join(", ")},`,
      `  ${pick(INGESTED_AT)} AS quarantined_at`,
      `FROM ${quoteIdentifier(r.rejects)}`,
    ].join("\n");
  });
  const problem =
    // 'value' or "value" as Python writes a string: the value, whatever it is.
    `regexp_replace(reason, '''(?:[^''\\\\]|\\\\.)*''|"(?:[^"\\\\]|\\\\.)*"', '…')`;
  const union =
    selects.length > 0
      ? selects.join("\nUNION ALL\n")
      : // No table has rejects yet: the same columns, no rows.
        [
          "SELECT CAST(NULL AS varchar) AS table_name, CAST(NULL AS varchar) AS file_path,",
          "  CAST(NULL AS bigint) AS line,",
          `  ${columns.map((c) => `CAST(NULL AS varchar) AS ${c}`).join(", ")},`,
          "  CAST(NULL AS timestamp(6) with time zone) AS quarantined_at",
          "WHERE false",
        ].join("\n");
  return {
    name: QUARANTINE,
    sql: `SELECT *, ${problem} AS problem FROM (\n${union}\n)`,
  };
}

/**
 * Trino plans each table read here as stages of one query, and refuses a query of more
 * than 150 (query.max-stage-count): the quarantine covers this many rejects tables (one
 * read each), the most recently loaded first.
 */
export const QUARANTINE_TABLES = 100;

/**
 * Per table: its data files, how many are small (what maintenance compacts), its snapshots,
 * the last compaction and the oldest snapshot kept (expiry keeps it within the retention).
 * Read from the health record the loader keeps (lakehouse_loader/health_record.py), one
 * row per table whatever their number, for the tables that exist; `recorded`: whether the
 * record exists yet (it does after the first load through Airflow).
 */
export function tableHealth(recorded: boolean): VirtualDataset {
  return {
    name: TABLE_HEALTH,
    sql: recorded
      ? [
          "SELECT table_name, data_files, small_files, snapshots, last_compaction, oldest_snapshot",
          `FROM ${quoteIdentifier(HEALTH_TABLE)}`,
          "WHERE table_name IN (",
          "  SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema",
          ")",
        ].join("\n")
      : "SELECT CAST(NULL AS varchar) AS table_name, CAST(0 AS bigint) AS data_files, CAST(0 AS bigint) AS small_files, CAST(0 AS bigint) AS snapshots, CAST(NULL AS timestamp(6) with time zone) AS last_compaction, CAST(NULL AS timestamp(6) with time zone) AS oldest_snapshot WHERE false",
  };
}
