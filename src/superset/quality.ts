/**
 * The Data quality dashboard: what state every file is in now, what to fix, which rows are
 * in quarantine and why, and how healthy each table's files are. It reads three virtual
 * datasets (SQL over the ledger, the rejects tables and Iceberg's metadata tables), written
 * here so that one Trino query answers each chart.
 */
import { quoteIdentifier } from "../clients/trino.ts";
import {
  INGESTED_AT,
  LEDGER_STATUS,
  LEDGER_TABLE,
  SMALL_FILE_MB,
  SOURCE_FILE,
} from "../pipeline/conventions.ts";
import {
  bigNumber,
  COUNT_ROWS,
  type DashboardSpec,
  groupTable,
  metric,
  rows,
  type SqlMetric,
  WHOLE,
} from "./charts.ts";

/** A Superset dataset defined by a query rather than a table. */
export interface VirtualDataset {
  /** Its name in Superset; provisioning finds it again by it. */
  name: string;
  sql: string;
}

export const FILE_STATUS = "Data quality · files";
export const QUARANTINE = "Data quality · quarantined rows";
export const TABLE_HEALTH = "Data quality · table health";

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
const FAILING = `(${literal(LEDGER_STATUS.rejected)}, ${literal(LEDGER_STATUS.failed)})`;

/**
 * Every file's latest attempt. An attempt that saw the file change under it says nothing
 * of the file (the next scan loads it), so it is passed over; a fixed file's latest
 * attempt is its successful load, and it stops counting as failed.
 */
export function fileStatus(): VirtualDataset {
  return {
    name: FILE_STATUS,
    sql: [
      "SELECT file_path, table_name, status, data_rows, rows_accepted, rows_rejected,",
      `  finished_at, message, status IN ${FAILING} AS needs_fix`,
      "FROM (",
      "  SELECT *, row_number() OVER (PARTITION BY file_path ORDER BY finished_at DESC) AS latest",
      `  FROM ${quoteIdentifier(LEDGER_TABLE)} WHERE status <> ${literal(LEDGER_STATUS.changed)}`,
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
  const selects = rejectTables.map((r) => {
    const pick = (c: string) => (r.columns.includes(c) ? quoteIdentifier(c) : "NULL");
    return [
      `SELECT ${literal(r.table)} AS table_name, ${pick(SOURCE_FILE)} AS file_path,`,
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
 * Per table: its data files, how many are small (what maintenance compacts), its snapshots,
 * the last compaction and the oldest snapshot kept (expiry keeps it within the retention).
 */
export function tableHealth(tables: string[]): VirtualDataset {
  const small = SMALL_FILE_MB * 1024 * 1024;
  const selects = tables.map((t) => {
    const files = quoteIdentifier(`${t}$files`);
    const snapshots = quoteIdentifier(`${t}$snapshots`);
    return [
      `SELECT ${literal(t)} AS table_name,`,
      `  (SELECT count(*) FROM ${files} WHERE content = 0) AS data_files,`,
      `  (SELECT count_if(file_size_in_bytes < ${small}) FROM ${files} WHERE content = 0) AS small_files,`,
      `  (SELECT count(*) FROM ${snapshots}) AS snapshots,`,
      `  (SELECT max(committed_at) FROM ${snapshots} WHERE operation = 'replace') AS last_compaction,`,
      `  (SELECT min(committed_at) FROM ${snapshots}) AS oldest_snapshot`,
    ].join("\n");
  });
  return {
    name: TABLE_HEALTH,
    sql:
      selects.length > 0
        ? selects.join("\nUNION ALL\n")
        : "SELECT CAST(NULL AS varchar) AS table_name, 0 AS data_files, 0 AS small_files, 0 AS snapshots, CAST(NULL AS timestamp(6) with time zone) AS last_compaction, CAST(NULL AS timestamp(6) with time zone) AS oldest_snapshot WHERE false",
  };
}

const NEEDS_FIX = "needs_fix";

/** The dashboard over the three datasets. */
export function dataQualityDashboard(): DashboardSpec {
  const kpi = (name: string, value: SqlMetric, description: string) =>
    bigNumber({ name, table: FILE_STATUS, value, format: WHOLE, description });
  return {
    slug: "data-quality",
    title: "Data quality",
    chartPrefix: "Quality · ",
    rows: [
      [
        kpi(
          "Quality · Files loaded",
          metric(
            `COUNT(*) FILTER (WHERE status = ${literal(LEDGER_STATUS.loaded)})`,
            "Files loaded",
          ),
          "Files whose latest load succeeded.",
        ),
        kpi(
          "Quality · Files to fix",
          metric(`COUNT(*) FILTER (WHERE ${NEEDS_FIX})`, "Files to fix"),
          "Files whose latest load failed or was rejected: listed below, with the fix.",
        ),
        kpi(
          "Quality · Rows quarantined",
          metric("COALESCE(SUM(rows_rejected), 0)", "Rows quarantined"),
          "Rows the files' latest loads left out of their tables for a bad value.",
        ),
      ],
      [
        rows({
          name: "Quality · Files that need a fix",
          table: FILE_STATUS,
          columns: ["file_path", "table_name", "status", "finished_at", "message"],
          orderBy: "finished_at",
          where: NEEDS_FIX,
          description:
            "Each file whose latest load did not succeed: what went wrong and how to fix it.",
        }),
      ],
      [
        groupTable({
          name: "Quality · Quarantined rows by problem",
          table: QUARANTINE,
          columns: ["table_name", "column_name", "problem"],
          value: COUNT_ROWS,
          width: 12,
          description: "Rejected rows grouped by table, column and problem (the value left out).",
        }),
      ],
      [
        rows({
          name: "Quality · Quarantined rows",
          table: QUARANTINE,
          columns: ["table_name", "file_path", "line", "column_name", "value", "reason", "raw"],
          orderBy: "quarantined_at",
          formats: { line: WHOLE },
          description: "The rejected rows themselves, newest first: file, line, value and why.",
        }),
      ],
      [
        rows({
          name: "Quality · Every file",
          table: FILE_STATUS,
          columns: [
            "file_path",
            "table_name",
            "status",
            "data_rows",
            "rows_accepted",
            "rows_rejected",
            "finished_at",
          ],
          orderBy: "finished_at",
          formats: { data_rows: WHOLE, rows_accepted: WHOLE, rows_rejected: WHOLE },
          description: "Every file and its latest load: rows read, loaded and quarantined.",
        }),
      ],
      [
        rows({
          name: "Quality · Table health",
          table: TABLE_HEALTH,
          columns: [
            "table_name",
            "data_files",
            "small_files",
            "snapshots",
            "last_compaction",
            "oldest_snapshot",
          ],
          orderBy: "table_name",
          descending: false,
          formats: { data_files: WHOLE, small_files: WHOLE, snapshots: WHOLE },
          description: `Per table: data files, those under ${SMALL_FILE_MB} MiB (compacted by the daily maintenance), snapshots, the last compaction and the oldest snapshot kept.`,
        }),
      ],
    ],
    filters: [],
  };
}
