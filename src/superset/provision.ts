import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { trinoClient } from "../bootstrap/bootstrap.ts";
import type { Settings } from "../config/settings.ts";
import {
  isRejectsTable,
  LEDGER_TABLE,
  LINEAGE_COLUMNS,
  rejectsTable,
} from "../pipeline/conventions.ts";
import { withLock } from "../runtime/lock.ts";
import { supersetTrinoUri } from "../runtime/native/superset.ts";
import type { ChartSpec, DashboardSpec } from "./charts.ts";
import { SupersetClient } from "./client.ts";
import {
  dataQualityDashboard,
  overviewDashboard,
  SALES_TABLE,
  salesDashboard,
  type TableShape,
} from "./dashboards.ts";

/** The Trino connection's name in Superset. */
export const DATABASE_NAME = "Lakehouse (Trino)";
const LINEAGE = new Set(LINEAGE_COLUMNS);

interface Named {
  id: number;
}
interface Dataset extends Named {
  table_name: string;
  schema: string;
  database: { id: number };
}
interface Chart extends Named {
  slice_name: string;
}
interface Dashboard extends Named {
  slug: string | null;
}

export interface ProvisionResult {
  database: number;
  datasets: Record<string, number>;
  dashboards: Record<string, { id: number; url: string }>;
}

/**
 * Makes Superset show the lakehouse: the Trino connection, a dataset per table, the Sales
 * dashboard, an overview per table and the data-quality dashboard. Idempotent: every
 * object is found again by its name (or slug) and updated, never created twice. Changes
 * made by hand to these charts and dashboards are overwritten; copies are left alone.
 * `mode` says how Superset reaches Trino (see supersetTrinoUri).
 */
export function provisionDashboards(
  s: Settings,
  mode: "native" | "docker" = "native",
): Promise<ProvisionResult> {
  const trinoUri = supersetTrinoUri(s, mode);
  // One at a time: Airflow's refresh step and a user's `lakehouse dashboards` may overlap,
  // and two provisioners would both create what neither found.
  mkdirSync(s.paths.state, { recursive: true });
  return withLock(join(s.paths.state, "provision.lock"), () => provision(s, trinoUri));
}

async function provision(s: Settings, trinoUri: string): Promise<ProvisionResult> {
  const superset = new SupersetClient(s);
  const database = await ensureDatabase(superset, trinoUri);
  const tables = await lakehouseTables(s);

  const existing = await superset.list<Dataset>("dataset", [
    "id",
    "table_name",
    "schema",
    "database.id",
  ]);
  const datasets: Record<string, number> = {};
  for (const table of tables) {
    const found = existing.find(
      (d) =>
        d.table_name === table.name && d.schema === s.trino.schema && d.database.id === database,
    );
    if (found) {
      // The table may have gained columns since (schema evolution).
      await superset.request("PUT", `/api/v1/dataset/${found.id}/refresh`);
      datasets[table.name] = found.id;
    } else {
      const created = await superset.request<{ id: number }>("POST", "/api/v1/dataset/", {
        database,
        catalog: s.trino.catalog,
        schema: s.trino.schema,
        table_name: table.name,
      });
      datasets[table.name] = created.id;
    }
  }

  const names = new Set(tables.map((t) => t.name));
  const isData = (t: TableShape) => t.name !== LEDGER_TABLE && !isRejectsTable(t.name);
  const specs: DashboardSpec[] = [];
  if (names.has(SALES_TABLE)) specs.push(salesDashboard());
  for (const table of tables.filter(isData)) {
    if (table.name !== SALES_TABLE) specs.push(overviewDashboard(table));
  }
  if (names.has(LEDGER_TABLE)) {
    specs.push(
      dataQualityDashboard(tables.filter((t) => isRejectsTable(t.name)).map((t) => t.name)),
    );
  }
  // The Sales table gets its overview too, after the curated dashboard.
  const sales = tables.find((t) => t.name === SALES_TABLE);
  if (sales) specs.push(overviewDashboard(sales));

  const charts = await superset.list<Chart>("chart", ["id", "slice_name"]);
  const dashboards = await superset.list<Dashboard>("dashboard", ["id", "slug"]);
  const result: ProvisionResult = { database, datasets, dashboards: {} };
  for (const spec of specs) {
    const id = await ensureDashboard(superset, spec, datasets, charts, dashboards);
    result.dashboards[spec.slug] = {
      id,
      url: `${superset.baseUrl}/superset/dashboard/${spec.slug}/`,
    };
  }
  return result;
}

async function ensureDatabase(superset: SupersetClient, trinoUri: string): Promise<number> {
  const body = {
    database_name: DATABASE_NAME,
    sqlalchemy_uri: trinoUri,
    expose_in_sqllab: true,
    allow_ctas: false,
    allow_cvas: false,
    allow_dml: false,
  };
  const found = (
    await superset.list<Named & { database_name: string }>("database", ["id", "database_name"])
  ).find((d) => d.database_name === DATABASE_NAME);
  if (found) {
    await superset.request("PUT", `/api/v1/database/${found.id}`, body);
    return found.id;
  }
  return (await superset.request<{ id: number }>("POST", "/api/v1/database/", body)).id;
}

/** The schema's tables and their columns. */
async function lakehouseTables(s: Settings): Promise<TableShape[]> {
  const result = await trinoClient(s).query<[string, string, string]>(
    `SELECT table_name, column_name, data_type FROM iceberg.information_schema.columns WHERE table_schema = '${s.trino.schema}' ORDER BY table_name, ordinal_position`,
  );
  const tables = new Map<string, Record<string, string>>();
  for (const [table, column, type] of result.rows) {
    const columns = tables.get(table) ?? {};
    if (!LINEAGE.has(column)) columns[column] = type;
    tables.set(table, columns);
  }
  return [...tables].map(([name, columns]) => ({
    name,
    columns,
    hasRejects: tables.has(rejectsTable(name)),
  }));
}

async function ensureChart(
  superset: SupersetClient,
  spec: ChartSpec,
  datasetId: number,
  dashboardId: number,
  charts: Chart[],
): Promise<number> {
  const params = { ...spec.params, viz_type: spec.vizType, datasource: `${datasetId}__table` };
  const body = {
    slice_name: spec.name,
    viz_type: spec.vizType,
    datasource_id: datasetId,
    datasource_type: "table",
    params: JSON.stringify(params),
    // What /api/v1/chart/{id}/data/ runs: the chart's own query, so its numbers can be checked.
    query_context: JSON.stringify({
      datasource: { id: datasetId, type: "table" },
      force: false,
      queries: [
        { metrics: [], columns: [], filters: [], extras: { having: "", where: "" }, ...spec.query },
      ],
      form_data: params,
      result_format: "json",
      result_type: "full",
    }),
    cache_timeout: null,
    // Which dashboards show the chart is a property of the chart.
    dashboards: [dashboardId],
  };
  const found = charts.find((c) => c.slice_name === spec.name);
  if (found) {
    await superset.request("PUT", `/api/v1/chart/${found.id}`, body);
    return found.id;
  }
  const created = await superset.request<{ id: number }>("POST", "/api/v1/chart/", body);
  charts.push({ id: created.id, slice_name: spec.name });
  return created.id;
}

async function ensureDashboard(
  superset: SupersetClient,
  spec: DashboardSpec,
  datasets: Record<string, number>,
  charts: Chart[],
  dashboards: Dashboard[],
): Promise<number> {
  let id = dashboards.find((d) => d.slug === spec.slug)?.id;
  if (id === undefined) {
    id = (
      await superset.request<{ id: number }>("POST", "/api/v1/dashboard/", {
        dashboard_title: spec.title,
        slug: spec.slug,
        published: true,
      })
    ).id;
    dashboards.push({ id, slug: spec.slug });
  }
  const layout: Record<string, unknown> = {
    DASHBOARD_VERSION_KEY: "v2",
    ROOT_ID: { type: "ROOT", id: "ROOT_ID", children: ["GRID_ID"] },
    HEADER_ID: { id: "HEADER_ID", type: "HEADER", meta: { text: spec.title } },
  };
  const rowIds: string[] = [];
  const chartIds: number[] = [];
  for (const [r, row] of spec.rows.entries()) {
    const rowId = `ROW-${r}`;
    const children: string[] = [];
    for (const chart of row) {
      const dataset = datasets[chart.table];
      if (dataset === undefined) continue; // e.g. a rejects table not created yet
      const chartId = await ensureChart(superset, chart, dataset, id, charts);
      chartIds.push(chartId);
      const key = `CHART-${chartId}`;
      children.push(key);
      layout[key] = {
        type: "CHART",
        id: key,
        children: [],
        parents: ["ROOT_ID", "GRID_ID", rowId],
        meta: {
          width: chart.width,
          height: chart.vizType === "big_number_total" ? 30 : 60,
          chartId,
          sliceName: chart.name,
        },
      };
    }
    if (children.length === 0) continue;
    rowIds.push(rowId);
    layout[rowId] = {
      type: "ROW",
      id: rowId,
      children,
      parents: ["ROOT_ID", "GRID_ID"],
      meta: { background: "BACKGROUND_TRANSPARENT" },
    };
  }
  layout.GRID_ID = { type: "GRID", id: "GRID_ID", children: rowIds, parents: ["ROOT_ID"] };
  const filters = spec.filters.map((f) => ({
    id: f.id,
    name: f.name,
    filterType: f.kind,
    type: "NATIVE_FILTER",
    targets:
      f.kind === "filter_select" && f.table && f.column
        ? [{ datasetId: datasets[f.table], column: { name: f.column } }]
        : [{}],
    controlValues:
      f.kind === "filter_select"
        ? {
            multiSelect: true,
            enableEmptyFilter: false,
            searchAllOptions: false,
            inverseSelection: false,
          }
        : {},
    defaultDataMask: { extraFormData: {}, filterState: {}, ownState: {} },
    cascadeParentIds: [],
    scope: { rootPath: ["ROOT_ID"], excluded: [] },
    chartsInScope: chartIds,
    description: "",
  }));
  await superset.request("PUT", `/api/v1/dashboard/${id}`, {
    dashboard_title: spec.title,
    slug: spec.slug,
    published: true,
    position_json: JSON.stringify(layout),
    json_metadata: JSON.stringify({
      native_filter_configuration: filters,
      refresh_frequency: 0,
      color_scheme: "supersetColors",
      cross_filters_enabled: true,
    }),
  });
  return id;
}
