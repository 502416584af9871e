/**
 * What a column means, decided from its type, its name and its statistics, so that each
 * gets the chart a person would choose: an identifier is counted, not binned; a measure is
 * bucketed at round widths; a time column is shown over time at a grain that fits its span.
 */
import { quoteIdentifier } from "../clients/trino.ts";

export type ColumnKind =
  | "identifier"
  | "measure"
  | "time"
  | "category" // text with few values
  | "text" // text with many values
  | "boolean"
  | "other"; // arrays, maps, binary: counted only

/** A column's statistics, from one query over its table (statsQuery). */
export interface ColumnStats {
  /** Approximate (HyperLogLog, about 2% off): exact counts would not fit Trino's memory on a
   * table of tens of millions of rows. */
  distinct: number;
  nulls: number;
  /** Numbers: their smallest and largest; times: as Trino prints them. */
  min: number | string | null;
  max: number | string | null;
}

/** Categories are drawn as bars up to this many values; more are text. */
export const MAX_CATEGORIES = 25;

const INTEGER = /^(bigint|integer|smallint|tinyint)$/;
const NUMBER = /^(bigint|integer|smallint|tinyint|double|real|decimal)/;
const TIME = /^(date|timestamp)/;
// id, order_id, customer_key, uuid, sku, ...: values that name a thing rather than measure it.
const IDENTIFIER_NAME = /(^|_)(id|key|uuid|guid|code|sku|number|no)$/i;

export const isInteger = (type: string) => INTEGER.test(type);

export function columnKind(
  name: string,
  type: string,
  stats: ColumnStats,
  rows: number,
): ColumnKind {
  if (type === "boolean") return "boolean";
  if (TIME.test(type)) return "time";
  const nearlyUnique = rows > 0 && stats.distinct >= 0.9 * (rows - stats.nulls);
  if (NUMBER.test(type)) {
    // An integer named like a key, or one that is (nearly) unique per row and counts up
    // like a sequence (its values fill most of their range: 1001, 1002, ... rather than
    // amounts in cents), is an identifier; a decimal never is.
    const span =
      typeof stats.min === "number" && typeof stats.max === "number"
        ? stats.max - stats.min + 1
        : Number.POSITIVE_INFINITY;
    const sequence = nearlyUnique && rows > 100 && stats.distinct >= 0.5 * span;
    if (isInteger(type) && (IDENTIFIER_NAME.test(name) || sequence)) return "identifier";
    return "measure";
  }
  if (type.startsWith("varchar") || type.startsWith("char")) {
    if (IDENTIFIER_NAME.test(name) || (nearlyUnique && rows > MAX_CATEGORIES)) return "identifier";
    return stats.distinct <= MAX_CATEGORIES ? "category" : "text";
  }
  return "other";
}

/** One query for every column's statistics (and the row count, the first value). */
export function statsQuery(table: string, columns: Record<string, string>): string {
  const parts = ["count(*)"];
  for (const [name, type] of Object.entries(columns)) {
    const c = quoteIdentifier(name);
    const ordered = NUMBER.test(type) || TIME.test(type);
    const comparable = ordered ? c : "NULL";
    // approx_distinct takes no arrays or maps: those count as all different.
    const countable = /^(array|map|row|varbinary|json)/.test(type)
      ? "count(*)"
      : `approx_distinct(${c})`;
    parts.push(
      countable,
      `count(*) - count(${c})`,
      ordered && !NUMBER.test(type) ? `CAST(min(${c}) AS varchar)` : `min(${comparable})`,
      ordered && !NUMBER.test(type) ? `CAST(max(${c}) AS varchar)` : `max(${comparable})`,
    );
  }
  return `SELECT ${parts.join(", ")} FROM ${quoteIdentifier(table)}`;
}

/** The statistics query's one row, per column. */
export function parseStats(
  columns: Record<string, string>,
  row: unknown[],
): { rows: number; stats: Record<string, ColumnStats> } {
  const stats: Record<string, ColumnStats> = {};
  const names = Object.keys(columns);
  names.forEach((name, i) => {
    const at = 1 + i * 4;
    const numeric = NUMBER.test(columns[name] ?? "");
    // Trino sends decimals as text: as numbers here, for bucket widths.
    const bound = (v: unknown) =>
      v === null || v === undefined ? null : numeric ? Number(v) : String(v);
    stats[name] = {
      distinct: Number(row[at]),
      nulls: Number(row[at + 1]),
      min: bound(row[at + 2]),
      max: bound(row[at + 3]),
    };
  });
  return { rows: Number(row[0]), stats };
}

/**
 * A round bucket width (1, 2 or 5 times a power of ten) giving at most `most` buckets over
 * [min, max]; integers get whole widths.
 */
export function bucketWidth(min: number, max: number, integer: boolean, most = 20): number {
  const span = max - min;
  if (!(span > 0)) return 1;
  const raw = span / most;
  const power = 10 ** Math.floor(Math.log10(raw));
  const width = [1, 2, 5, 10].map((m) => m * power).find((w) => w >= raw) ?? 10 * power;
  return integer ? Math.max(1, Math.round(width)) : width;
}

/** A time grain (ISO 8601 duration, as Superset names them) giving a readable number of
 * bars over a span of `days`. */
export function timeGrain(days: number): { grain: string; word: string } {
  if (days > 3 * 365) return { grain: "P1Y", word: "year" };
  if (days > 120) return { grain: "P1M", word: "month" };
  if (days > 21) return { grain: "P1W", word: "week" };
  if (days > 2) return { grain: "P1D", word: "day" };
  return { grain: "PT1H", word: "hour" };
}
