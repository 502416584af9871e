/**
 * Every table's automatic dashboard, as data (charts.ts): each column's chart is picked by
 * what the column means (column-kinds.ts). The curated dashboards (Sales, Data quality) are
 * asset bundles instead (bundles.ts).
 */
import { quoteIdentifier, quoteLiteral } from "../clients/trino.ts";
import { LEDGER_TABLE, rejectsTable } from "../pipeline/conventions.ts";
import {
  bars,
  bigNumber,
  type ChartSpec,
  COUNT_ROWS,
  type DashboardSpec,
  groupTable,
  metric,
  pie,
  rows,
  SHORT,
  WHOLE,
} from "./charts.ts";
import {
  bucketWidth,
  type ColumnStats,
  columnKind,
  isInteger,
  MAX_CATEGORIES,
  timeGrain,
} from "./column-kinds.ts";

export interface TableShape {
  name: string;
  /** Column name -> Trino type, lineage columns excluded. */
  columns: Record<string, string>;
  /** Every column's name, lineage columns included. */
  allColumns: string[];
  hasRejects: boolean;
}

/** A table's rows and its columns' statistics (column-kinds.ts statsQuery). */
export interface TableProfile {
  rows: number;
  stats: Record<string, ColumnStats>;
}

const OVERVIEW_SLUG = "table-";
export const overviewSlug = (table: string) => `${OVERVIEW_SLUG}${table.replace(/_/g, "-")}`;
/** The table an automatic dashboard's slug is of, or undefined for another dashboard. */
export const tableOfOverview = (slug: string): string | undefined =>
  slug.startsWith(OVERVIEW_SLUG) ? slug.slice(OVERVIEW_SLUG.length).replace(/-/g, "_") : undefined;
export const overviewChartPrefix = (table: string) => `${table} · `;

/** Days between two times as Trino prints them (a date, or a timestamp with a zone). */
function spanDays(min: string, max: string): number {
  const at = (t: string) => Date.parse(`${t.slice(0, 19).replace(" ", "T")}Z`);
  return (at(max) - at(min)) / 86_400_000;
}

/** The chart (or charts) for one column, by what it means; none when there is nothing to draw. */
function columnChart(
  t: string,
  name: string,
  type: string,
  stats: ColumnStats,
  rowCount: number,
): ChartSpec | ChartSpec[] | undefined {
  const c = quoteIdentifier(name);
  const prefix = overviewChartPrefix(t);
  const kind = columnKind(name, type, stats, rowCount);
  const distinct = (what: string) =>
    bigNumber({
      name: `${prefix}Distinct ${name}`,
      table: t,
      value: metric(`approx_distinct(${c})`, `Distinct ${name}`),
      format: SHORT,
      width: 3,
      description: `How many different values ${name} has (${what}; approximate, within about 2%).`,
    });
  switch (kind) {
    case "identifier":
      return distinct("an identifier: counted, not charted");
    case "text":
      return [
        distinct(`text with more than ${MAX_CATEGORIES} values`),
        groupTable({
          name: `${prefix}Most common values of ${name}`,
          table: t,
          columns: [name],
          value: COUNT_ROWS,
          pageLength: 10,
          description: `The values of ${name} that occur most, with their rows: a sample of a column with many values.`,
        }),
      ];
    case "category":
    case "boolean":
      return kind === "boolean" || stats.distinct <= 4
        ? pie({
            name: `${prefix}Share of ${name}`,
            table: t,
            column: name,
            value: COUNT_ROWS,
            limit: MAX_CATEGORIES * 2,
            width: 6,
            description: `Each value's share of the rows (${name}).`,
          })
        : bars({
            name: `${prefix}Rows by ${name}`,
            table: t,
            axis: { sql: c, label: name },
            value: COUNT_ROWS,
            limit: MAX_CATEGORIES * 2,
            categorical: true,
            description: `Rows per value of ${name}, the most frequent first.`,
          });
    case "measure": {
      if (typeof stats.min !== "number" || typeof stats.max !== "number") return undefined;
      if (stats.distinct <= MAX_CATEGORIES) {
        return bars({
          name: `${prefix}Rows by ${name}`,
          table: t,
          axis: { sql: c, label: name },
          value: COUNT_ROWS,
          limit: MAX_CATEGORIES * 2,
          description: `Rows per value of ${name}.`,
        });
      }
      const width = bucketWidth(stats.min, stats.max, isInteger(type));
      // Rounded to the width's decimals: binary fractions would show as 0.30000000000000004.
      const decimals = Math.max(0, -Math.floor(Math.log10(width)));
      const shown = isInteger(type) ? "" : ` (${decimals} decimals)`;
      return bars({
        name: `${prefix}Distribution of ${name}`,
        table: t,
        axis: {
          sql: `round(floor(${c} / ${width}) * ${width}, ${decimals})`,
          label: `${name} from`,
        },
        value: COUNT_ROWS,
        limit: Math.ceil((stats.max - stats.min) / width) + 2,
        description: `Rows per range of ${name}, each ${width.toLocaleString("en")} wide, labelled by its lower end${shown}.`,
      });
    }
    case "time": {
      if (typeof stats.min !== "string" || typeof stats.max !== "string") return undefined;
      const { grain, word } = timeGrain(spanDays(stats.min, stats.max));
      return bars({
        name: `${prefix}Rows by ${word} of ${name}`,
        table: t,
        axis: { sql: c, label: name, grain },
        value: COUNT_ROWS,
        limit: 10_000,
        description: `Rows per ${word} of ${name}, from ${stats.min.slice(0, 10)} to ${stats.max.slice(0, 10)}.`,
      });
    }
    default:
      return undefined;
  }
}

/** The automatic overview of any table: its rows, a chart per column by meaning, its loads. */
export function overviewDashboard(table: TableShape, profile: TableProfile): DashboardSpec {
  const t = table.name;
  const prefix = overviewChartPrefix(t);
  const header = [
    bigNumber({
      name: `${prefix}Rows`,
      table: t,
      value: COUNT_ROWS,
      format: WHOLE,
      width: 3,
      description: "Rows in the table now.",
    }),
  ];
  if (table.hasRejects) {
    header.push(
      bigNumber({
        name: `${prefix}Quarantined rows`,
        table: rejectsTable(t),
        value: COUNT_ROWS,
        format: WHOLE,
        width: 3,
        description: `Rows of its files left out for a bad value (${rejectsTable(t)}; Data quality says why).`,
      }),
    );
  }
  const charts: ChartSpec[] = [];
  for (const [name, type] of Object.entries(table.columns).slice(0, 16)) {
    const stats = profile.stats[name];
    const chart = stats && columnChart(t, name, type, stats, profile.rows);
    if (chart) charts.push(...[chart].flat());
  }
  // The numbers go up beside the row count, four to a row; the charts two to a row.
  const numbers = [...header, ...charts.filter((c) => c.vizType === "big_number_total")];
  const wide = charts.filter((c) => c.vizType !== "big_number_total");
  const grid: ChartSpec[][] = [];
  for (let i = 0; i < numbers.length; i += 4) grid.push(numbers.slice(i, i + 4));
  for (let i = 0; i < wide.length; i += 2) grid.push(wide.slice(i, i + 2));
  grid.push([
    rows({
      name: `${prefix}Latest loads`,
      table: LEDGER_TABLE,
      columns: ["file_path", "status", "rows_accepted", "rows_rejected", "finished_at", "message"],
      orderBy: "finished_at",
      where: `table_name = ${quoteLiteral(t)}`,
      formats: { rows_accepted: WHOLE, rows_rejected: WHOLE },
      pageLength: 10,
      description: "Each load of a file into this table, the latest first.",
    }),
  ]);
  return {
    slug: overviewSlug(t),
    title: `Table: ${t}`,
    chartPrefix: prefix,
    rows: grid,
  };
}
