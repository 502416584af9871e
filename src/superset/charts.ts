/**
 * Chart and dashboard definitions as data: what each chart shows, in Superset's own
 * form-data vocabulary. Provisioning (dashboard-writer.ts) turns them into Superset
 * objects. Every chart says in one line what it shows (its description, shown on the
 * dashboard), and none asks for more rows than it shows: a query that fills its row limit
 * makes Superset warn that the chart may be incomplete.
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

/** d3 formats: whole numbers with thousands separators; short (12.3k) for big values. */
export const WHOLE = ",d";
export const SHORT = ".3~s";
export const DATE = "%Y-%m-%d";

export interface ChartSpec {
  /** Unique across the lakehouse's charts: provisioning finds a chart again by it. */
  name: string;
  /** What the chart shows, in one line. */
  description: string;
  /** The dataset the chart reads: a table's name or a virtual dataset's. */
  table: string;
  vizType: string;
  params: Record<string, unknown>;
  /** Grid columns out of 12. */
  width: number;
  /** The chart's query as Superset's chart-data API takes it (columns, metrics, order):
   * saved with the chart, it is what `/api/v1/chart/{id}/data/` answers with. */
  query: Record<string, unknown>;
}

export interface DashboardSpec {
  slug: string;
  title: string;
  /** Every chart's name starts with it: provisioning removes a chart of that name the
   * dashboard no longer has, and leaves other charts alone. */
  chartPrefix: string;
  /** Rows of the grid, top to bottom; each row's widths add up to at most 12. */
  rows: ChartSpec[][];
}

interface Base {
  name: string;
  table: string;
  description: string;
  width?: number;
}

/** What every chart has: its name, description, dataset, kind and width. */
const identity = (spec: Base, vizType: string, width: number) => ({
  name: spec.name,
  description: spec.description,
  table: spec.table,
  vizType,
  width: spec.width ?? width,
});

/** A column as the x axis: an expression (e.g. a bucket) under a readable label. */
export interface Axis {
  sql: string;
  label: string;
  /** A time grain (P1D, P1M, ...) for a date or timestamp axis. */
  grain?: string;
}

const axisColumn = (axis: Axis) => ({
  ...(axis.grain ? { timeGrain: axis.grain, columnType: "BASE_AXIS" } : {}),
  sqlExpression: axis.sql,
  label: axis.label,
  expressionType: "SQL",
});

/** One value, big; with `timeColumn` the dashboard's time filter applies to it. */
export function bigNumber(
  spec: Base & { value: SqlMetric; format?: string; timeColumn?: string },
): ChartSpec {
  return {
    ...identity(spec, "big_number_total", 4),
    query: { metrics: [spec.value] },
    params: {
      metric: spec.value,
      adhoc_filters: [],
      header_font_size: 0.4,
      subheader_font_size: 0.15,
      y_axis_format: spec.format ?? SHORT,
      ...(spec.timeColumn ? { granularity_sqla: spec.timeColumn, time_range: "No filter" } : {}),
    },
  };
}

/**
 * Bars of `value` along `axis`: over time (a grain), over the buckets of a number, or over
 * the values of a category. The y axis starts at zero. At most `limit` bars, which the
 * caller knows to be enough (a category's distinct count, a bucketing's bucket count).
 */
export function bars(
  spec: Base & {
    axis: Axis;
    value: SqlMetric;
    limit: number;
    /** Categories are ordered by their value, biggest first; other axes by themselves. */
    categorical?: boolean;
    format?: string;
    line?: boolean;
  },
): ChartSpec {
  const x = axisColumn(spec.axis);
  const byValue = spec.categorical === true;
  return {
    ...identity(spec, spec.line ? "echarts_timeseries_line" : "echarts_timeseries_bar", 6),
    query: {
      columns: [x],
      metrics: [spec.value],
      orderby: [[byValue ? spec.value : x, !byValue]],
      // One more than may exist: the limit is never the reason a bar is missing.
      row_limit: spec.limit + 1,
    },
    params: {
      x_axis: x,
      ...(spec.axis.grain ? { time_grain_sqla: spec.axis.grain } : {}),
      metrics: [spec.value],
      groupby: [],
      adhoc_filters: [],
      row_limit: spec.limit + 1,
      time_range: "No filter",
      x_axis_sort: byValue ? spec.value.label : spec.axis.label,
      x_axis_sort_asc: !byValue,
      xAxisForceCategorical: !spec.axis.grain,
      // Slanted, every category's name fits under its bar.
      xAxisLabelRotation: byValue ? 45 : 0,
      xAxisLabelInterval: byValue ? 0 : "auto",
      truncateYAxis: false,
      y_axis_format: spec.format ?? SHORT,
      x_axis_time_format: DATE,
      show_legend: false,
      show_value: false,
      rich_tooltip: true,
      zoomable: false,
    },
  };
}

/** Each value's share of `value`, for a handful of values (a region, a boolean). */
export function pie(spec: Base & { column: string; value: SqlMetric; limit: number }): ChartSpec {
  return {
    ...identity(spec, "pie", 4),
    query: {
      columns: [spec.column],
      metrics: [spec.value],
      orderby: [[spec.value, false]],
      row_limit: spec.limit + 1,
    },
    params: {
      groupby: [spec.column],
      metric: spec.value,
      adhoc_filters: [],
      row_limit: spec.limit + 1,
      // Shares inside the slices: outside, ECharts cuts them off on a narrow chart. The
      // legend names the values.
      show_labels: true,
      show_labels_threshold: 3,
      labels_outside: false,
      label_type: "percent",
      number_format: SHORT,
      show_legend: true,
      legendType: "plain",
      legendOrientation: "bottom",
      outerRadius: 60,
      innerRadius: 0,
      donut: false,
    },
  };
}

/** `value` per group of `columns`, as a table, the biggest first, paged by the server. */
export function groupTable(
  spec: Base & { columns: string[]; value: SqlMetric; format?: string; pageLength?: number },
): ChartSpec {
  const pageLength = spec.pageLength ?? 20;
  return {
    ...identity(spec, "table", 6),
    query: {
      columns: spec.columns,
      metrics: [spec.value],
      orderby: [[spec.value, false]],
      row_limit: pageLength,
    },
    params: {
      query_mode: "aggregate",
      groupby: spec.columns,
      metrics: [spec.value],
      timeseries_limit_metric: spec.value,
      order_desc: true,
      server_pagination: true,
      server_page_length: pageLength,
      page_length: pageLength,
      row_limit: 100_000,
      show_cell_bars: false,
      include_search: false,
      column_config: { [spec.value.label]: { d3NumberFormat: spec.format ?? WHOLE } },
      adhoc_filters: [],
      time_range: "No filter",
    },
  };
}

/**
 * Rows as they are, ordered by `orderBy`, paged by the server so that every row can be
 * browsed without a row limit cutting the list.
 */
export function rows(
  spec: Base & {
    columns: string[];
    orderBy: string;
    descending?: boolean;
    where?: string;
    /** Per column: a d3 number format, or a d3 time format for dates. */
    formats?: Record<string, string>;
    pageLength?: number;
  },
): ChartSpec {
  const descending = spec.descending ?? true;
  const columnConfig: Record<string, unknown> = {};
  for (const [column, format] of Object.entries(spec.formats ?? {})) {
    columnConfig[column] = format.startsWith("%")
      ? { d3TimeFormat: format }
      : { d3NumberFormat: format, showCellBars: false };
  }
  return {
    ...identity(spec, "table", 12),
    query: {
      // Without metrics the chart-data API groups by its columns, so the order needs its
      // column there (the dashboard itself shows only `columns`).
      columns: spec.columns.includes(spec.orderBy) ? spec.columns : [...spec.columns, spec.orderBy],
      orderby: [[spec.orderBy, !descending]],
      row_limit: spec.pageLength ?? 20,
      extras: { where: spec.where ?? "" },
    },
    params: {
      query_mode: "raw",
      all_columns: spec.columns,
      order_by_cols: [JSON.stringify([spec.orderBy, !descending])],
      server_pagination: true,
      server_page_length: spec.pageLength ?? 20,
      page_length: spec.pageLength ?? 20,
      row_limit: 100_000,
      show_cell_bars: false,
      include_search: false,
      column_config: columnConfig,
      adhoc_filters: spec.where
        ? [{ expressionType: "SQL", clause: "WHERE", sqlExpression: spec.where }]
        : [],
      table_timestamp_format: "%Y-%m-%d %H:%M:%S",
      time_range: "No filter",
    },
  };
}
