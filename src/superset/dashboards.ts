import {
  INGESTED_AT,
  LEDGER_TABLE as LEDGER,
  rejectsTable,
  SOURCE_FILE,
} from "../pipeline/conventions.ts";
import {
  bigNumber,
  COUNT_ROWS,
  type DashboardSpec,
  histogram,
  latestRows,
  lineOverTime,
  metric,
  pie,
  topValues,
} from "./charts.ts";

export const SALES_TABLE = "sales_sample";

const REVENUE = metric("SUM(revenue)", "Revenue");
const ORDERS = metric("COUNT(DISTINCT order_id)", "Orders");
const AVERAGE_ORDER = metric(
  "SUM(revenue) / NULLIF(COUNT(DISTINCT order_id), 0)",
  "Average order value",
);

/** The curated dashboard for the sample sales data. */
export function salesDashboard(): DashboardSpec {
  const t = SALES_TABLE;
  return {
    slug: "sales",
    title: "Sales",
    rows: [
      [
        bigNumber("Sales · Revenue", t, REVENUE, "order_date"),
        bigNumber("Sales · Orders", t, ORDERS, "order_date"),
        bigNumber("Sales · Average order value", t, AVERAGE_ORDER, "order_date"),
      ],
      [
        lineOverTime("Sales · Revenue by month", t, "order_date", REVENUE),
        pie("Sales · Revenue by region", t, "region", REVENUE),
      ],
      [topValues("Sales · Top products", t, "product", REVENUE, 10, "order_date", 12)],
      [
        latestRows(
          "Sales · Recent orders",
          t,
          ["order_id", "order_date", "customer_name", "region", "product", "quantity", "revenue"],
          "order_date",
        ),
      ],
    ],
    filters: [
      { id: "NATIVE_FILTER-sales-date", name: "Order date", kind: "filter_time" },
      {
        id: "NATIVE_FILTER-sales-region",
        name: "Region",
        kind: "filter_select",
        table: t,
        column: "region",
      },
    ],
  };
}

export interface TableShape {
  name: string;
  /** Column name -> Trino type, lineage columns excluded. */
  columns: Record<string, string>;
  hasRejects: boolean;
}

const isNumber = (type: string) =>
  /^(bigint|integer|smallint|tinyint|double|real|decimal)/.test(type);
const isTime = (type: string) => type === "date" || type.startsWith("timestamp");

/** The automatic overview of any table: row count, a chart per column by its type, ingests. */
export function overviewDashboard(table: TableShape): DashboardSpec {
  const t = table.name;
  const columns = Object.entries(table.columns);
  const time = columns.find(([, type]) => isTime(type))?.[0];
  const header = [bigNumber(`${t} · Rows`, t, COUNT_ROWS)];
  if (table.hasRejects)
    header.push(bigNumber(`${t} · Quarantined rows`, rejectsTable(t), COUNT_ROWS));
  if (time) header.push(lineOverTime(`${t} · Rows by month (${time})`, t, time, COUNT_ROWS, 4));
  const perColumn = columns
    .filter(([name]) => name !== time)
    .slice(0, 12)
    .map(([name, type]) =>
      isNumber(type)
        ? histogram(`${t} · Distribution of ${name}`, t, name)
        : topValues(`${t} · Top values of ${name}`, t, name, COUNT_ROWS),
    );
  const rows = [header];
  for (let i = 0; i < perColumn.length; i += 2) rows.push(perColumn.slice(i, i + 2));
  rows.push([
    latestRows(
      `${t} · Latest ingests`,
      LEDGER,
      ["file_path", "status", "rows_accepted", "rows_rejected", "finished_at"],
      "finished_at",
      10,
      12,
      `table_name = '${t.replace(/'/g, "''")}'`,
    ),
  ]);
  return { slug: `table-${t.replace(/_/g, "-")}`, title: `Table: ${t}`, rows, filters: [] };
}

/** Loads, their outcomes and the quarantine, over the ledger and every rejects table. */
export function dataQualityDashboard(rejectTables: string[]): DashboardSpec {
  return {
    slug: "data-quality",
    title: "Data quality",
    rows: [
      [
        bigNumber("Quality · Loads", LEDGER, COUNT_ROWS, "finished_at"),
        bigNumber(
          "Quality · Rows quarantined",
          LEDGER,
          metric("SUM(rows_rejected)", "Rows quarantined"),
          "finished_at",
        ),
        bigNumber(
          "Quality · Files that failed",
          LEDGER,
          metric("COUNT(*) FILTER (WHERE status <> 'loaded')", "Failed loads"),
          "finished_at",
        ),
      ],
      [topValues("Quality · Loads by status", LEDGER, "status", COUNT_ROWS, 10, undefined, 12)],
      [
        latestRows(
          "Quality · Latest loads",
          LEDGER,
          [
            "file_path",
            "table_name",
            "status",
            "data_rows",
            "rows_accepted",
            "rows_rejected",
            "finished_at",
            "message",
          ],
          "finished_at",
          50,
        ),
      ],
      ...rejectTables.map((r) => [
        latestRows(`Quality · ${r}`, r, [SOURCE_FILE, "line", "reason", "raw"], INGESTED_AT, 50),
      ]),
    ],
    filters: [{ id: "NATIVE_FILTER-quality-date", name: "Finished", kind: "filter_time" }],
  };
}
