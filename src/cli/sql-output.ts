/**
 * `lakehouse sql`'s output: every value exactly as Trino sent it (the rows come from the
 * Trino client's exact mode, numbers as LosslessNumber), as an aligned table, CSV or JSON.
 */
import { isLosslessNumber, stringify } from "lossless-json";
import type { TrinoColumn } from "../clients/trino.ts";
import { printTable } from "./status-table.ts";

export const SQL_FORMATS = ["table", "csv", "json"] as const;
export type SqlFormat = (typeof SQL_FORMATS)[number];

/** A value as text: digits as sent, NULL for null, arrays, maps and rows as JSON. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (isLosslessNumber(value)) return value.toString();
  if (typeof value === "object") return stringify(value) ?? "";
  return String(value);
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Writes the result in the format asked for. */
export function writeRows(
  columns: TrinoColumn[],
  rows: unknown[][],
  format: SqlFormat,
  out: NodeJS.WritableStream = process.stdout,
): void {
  const names = columns.map((c) => c.name);
  if (format === "table") {
    printTable([names, ...rows.map((row) => row.map(cellText))], out);
    return;
  }
  const lines =
    format === "json"
      ? // One object per line (JSON Lines); numbers keep every digit.
        rows.map((row) => stringify(Object.fromEntries(names.map((n, i) => [n, row[i] ?? null]))))
      : [names, ...rows.map((row) => row.map((v) => (v === null ? "" : cellText(v))))].map(
          (fields) => fields.map(csvField).join(","),
        );
  for (const line of lines) out.write(`${line}\n`);
}
