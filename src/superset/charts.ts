/**
 * Chart and dashboard definitions as data: what each chart shows, in Superset's own
 * form-data vocabulary. Provisioning (provision.ts) turns them into Superset objects.
 */

/** A metric written as SQL over the dataset, e.g. SUM(revenue). */
export interface SqlMetric {
  expressionType: "SQL";
  sqlExpression: string;
  label: string;
}

export const metric = (sqlExpression: string, label: string): SqlMetric => ({
  expressionType: "SQL",
  sqlExpression,
  label,
});

export const COUNT_ROWS = metric("COUNT(*)", "Rows");

export interface ChartSpec {
  /** Unique across the lakehouse's charts: provisioning finds a chart again by it. */
  name: string;
  /** The table the chart reads. */
  table: string;
  vizType: string;
  params: Record<string, unknown>;
  /** Grid columns out of 12. */
  width: number;
  /** The chart's query as Superset's chart-data API takes it (columns, metrics, order):
   * saved with the chart, it is what `/api/v1/chart/{id}/data/` answers with. */
  query: Record<string, unknown>;
}

export interface NativeFilterSpec {
  id: string;
  name: string;
  kind: "filter_select" | "filter_time";
  /** For filter_select: the table and column whose values are offered. */
  table?: string;
  column?: string;
}

export interface DashboardSpec {
  slug: string;
  title: string;
  /** Rows of the grid, top to bottom; each row's widths add up to at most 12. */
  rows: ChartSpec[][];
  filters: NativeFilterSpec[];
}

/** Superset's big number: one value, with the time filter applied to `timeColumn`. */
export function bigNumber(
  name: string,
  table: string,
  value: SqlMetric,
  timeColumn?: string,
): ChartSpec {
  return {
    name,
    table,
    vizType: "big_number_total",
    width: 4,
    query: { metrics: [value] },
    params: {
      metric: value,
      adhoc_filters: [],
      header_font_size: 0.4,
      subheader_font_size: 0.15,
      y_axis_format: "SMART_NUMBER",
      ...(timeColumn ? { granularity_sqla: timeColumn, time_range: "No filter" } : {}),
    },
  };
}

export function lineOverTime(
  name: string,
  table: string,
  timeColumn: string,
  value: SqlMetric,
  width = 8,
): ChartSpec {
  return {
    name,
    table,
    vizType: "echarts_timeseries_line",
    width,
    query: {
      columns: [
        {
          timeGrain: "P1M",
          columnType: "BASE_AXIS",
          sqlExpression: timeColumn,
          label: timeColumn,
          expressionType: "SQL",
        },
      ],
      metrics: [value],
      orderby: [[timeColumn, true]],
      row_limit: 10_000,
    },
    params: {
      x_axis: timeColumn,
      time_grain_sqla: "P1M",
      metrics: [value],
      groupby: [],
      adhoc_filters: [],
      row_limit: 10_000,
      time_range: "No filter",
      show_legend: false,
      rich_tooltip: true,
    },
  };
}

export function pie(name: string, table: string, column: string, value: SqlMetric): ChartSpec {
  return {
    name,
    table,
    vizType: "pie",
    width: 4,
    query: { columns: [column], metrics: [value], orderby: [[value, false]], row_limit: 25 },
    params: {
      groupby: [column],
      metric: value,
      adhoc_filters: [],
      row_limit: 25,
      show_labels: true,
      label_type: "key_percent",
      show_legend: true,
    },
  };
}

/** The top `limit` values of `column` by `value`, as a table. */
export function topValues(
  name: string,
  table: string,
  column: string,
  value: SqlMetric,
  limit = 10,
  timeColumn?: string,
  width = 6,
): ChartSpec {
  return {
    name,
    table,
    vizType: "table",
    width,
    query: { columns: [column], metrics: [value], orderby: [[value, false]], row_limit: limit },
    params: {
      query_mode: "aggregate",
      groupby: [column],
      metrics: [value],
      timeseries_limit_metric: value,
      order_desc: true,
      row_limit: limit,
      adhoc_filters: [],
      ...(timeColumn ? { granularity_sqla: timeColumn, time_range: "No filter" } : {}),
    },
  };
}

/** The latest rows of a table by `orderBy`, as they are. */
export function latestRows(
  name: string,
  table: string,
  columns: string[],
  orderBy: string,
  limit = 50,
  width = 12,
  where?: string,
): ChartSpec {
  // Shown too: Superset groups by the selected columns, so ordering needs the column there.
  if (!columns.includes(orderBy)) columns = [...columns, orderBy];
  return {
    name,
    table,
    vizType: "table",
    width,
    query: {
      columns,
      orderby: [[orderBy, false]],
      row_limit: limit,
      extras: { where: where ?? "" },
    },
    params: {
      query_mode: "raw",
      all_columns: columns,
      order_by_cols: [JSON.stringify([orderBy, false])],
      row_limit: limit,
      adhoc_filters: where
        ? [{ expressionType: "SQL", clause: "WHERE", sqlExpression: where }]
        : [],
      granularity_sqla: orderBy,
      time_range: "No filter",
    },
  };
}

export function histogram(name: string, table: string, column: string): ChartSpec {
  return {
    name,
    table,
    vizType: "histogram_v2",
    width: 6,
    query: { columns: [column], row_limit: 10_000 },
    params: {
      column,
      groupby: [],
      bins: 10,
      adhoc_filters: [],
      row_limit: 10_000,
    },
  };
}
