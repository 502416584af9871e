import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { trinoClient } from "../bootstrap/bootstrap.ts";
import type { Settings } from "../config/settings.ts";
import {
  isRejectsTable,
  LEDGER_TABLE,
  LINEAGE_COLUMNS,
  REJECTS_SUFFIX,
  rejectsTable,
} from "../pipeline/conventions.ts";
import { withLock } from "../runtime/lock.ts";
import { supersetTrinoUri } from "../runtime/native/superset.ts";
import type { DashboardSpec } from "./charts.ts";
import { SupersetClient } from "./client.ts";
import { parseStats, statsQuery } from "./column-kinds.ts";
import {
  type Chart,
  type Dashboard,
  ensureDashboard,
  removeDashboard,
} from "./dashboard-writer.ts";
import {
  overviewChartPrefix,
  overviewDashboard,
  SALES_TABLE,
  salesDashboard,
  type TableShape,
  tableOfOverview,
} from "./dashboards.ts";
import {
  type Dataset,
  ensureDatabase,
  ensureTableDataset,
  ensureVirtualDataset,
  lakehouseDatasets,
} from "./datasets.ts";
import { dataQualityDashboard, fileStatus, quarantine, tableHealth } from "./quality.ts";

export { DATABASE_NAME } from "./datasets.ts";

const LINEAGE = new Set(LINEAGE_COLUMNS);

export interface ProvisionResult {
  database: number;
  datasets: Record<string, number>;
  dashboards: Record<string, { id: number; url: string }>;
  /** Tables that no longer exist whose dashboard or dataset was removed. */
  removed: string[];
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
  const where = { database, catalog: s.trino.catalog, schema: s.trino.schema };
  const tables = await lakehouseTables(s);
  const names = new Set(tables.map((t) => t.name));
  const existing = await lakehouseDatasets(superset, database, s.trino.schema);

  const datasets: Record<string, number> = {};
  for (const table of tables) {
    datasets[table.name] = await ensureTableDataset(superset, where, existing, table.name, true);
  }
  const virtual = [
    quarantine(
      tables
        .filter((t) => isRejectsTable(t.name))
        .map((t) => ({
          table: t.name.slice(0, -REJECTS_SUFFIX.length),
          rejects: t.name,
          columns: t.allColumns,
        })),
    ),
    tableHealth([...names]),
  ];
  if (names.has(LEDGER_TABLE)) virtual.unshift(fileStatus());
  for (const dataset of virtual) {
    datasets[dataset.name] = await ensureVirtualDataset(superset, where, existing, dataset);
  }

  const isData = (t: TableShape) => t.name !== LEDGER_TABLE && !isRejectsTable(t.name);
  const specs: DashboardSpec[] = [];
  if (names.has(SALES_TABLE)) specs.push(salesDashboard());
  if (names.has(LEDGER_TABLE)) specs.push(dataQualityDashboard());
  const trino = trinoClient(s);
  for (const table of tables.filter(isData)) {
    const { rows } = await trino.query(statsQuery(table.name, table.columns));
    specs.push(overviewDashboard(table, parseStats(table.columns, rows[0] ?? [])));
  }

  const charts = await superset.list<Chart>("chart", ["id", "slice_name"]);
  const dashboards = await superset.list<Dashboard>("dashboard", ["id", "slug"]);
  const result: ProvisionResult = { database, datasets, dashboards: {}, removed: [] };
  for (const spec of specs) {
    const id = await ensureDashboard(superset, spec, datasets, charts, dashboards);
    result.dashboards[spec.slug] = {
      id,
      url: `${superset.baseUrl}/superset/dashboard/${spec.slug}/`,
    };
  }
  result.removed = await removeDropped(superset, names, existing, dashboards, specs);
  return result;
}

/**
 * The lifecycle of a dropped table: its automatic dashboard, the charts made for it and its
 * dataset go too (a dataset someone's own chart still uses is left, with a warning in
 * Superset's log). Returns the tables whose assets were removed.
 */
async function removeDropped(
  superset: SupersetClient,
  tables: Set<string>,
  datasets: Dataset[],
  dashboards: Dashboard[],
  specs: DashboardSpec[],
): Promise<string[]> {
  const wanted = new Set(specs.map((spec) => spec.slug));
  const removed = new Set<string>();
  for (const dashboard of dashboards) {
    const table = dashboard.slug ? tableOfOverview(dashboard.slug) : undefined;
    if (table === undefined || wanted.has(dashboard.slug ?? "")) continue;
    await removeDashboard(superset, dashboard, overviewChartPrefix(table));
    removed.add(table);
  }
  for (const dataset of datasets) {
    if (dataset.sql || tables.has(dataset.table_name)) continue;
    await superset.request("DELETE", `/api/v1/dataset/${dataset.id}`);
    removed.add(dataset.table_name);
  }
  return [...removed].sort();
}

/** The schema's tables and their columns. */
async function lakehouseTables(s: Settings): Promise<TableShape[]> {
  const result = await trinoClient(s).query<[string, string, string]>(
    `SELECT table_name, column_name, data_type FROM iceberg.information_schema.columns WHERE table_schema = '${s.trino.schema}' ORDER BY table_name, ordinal_position`,
  );
  const tables = new Map<string, Record<string, string>>();
  const lineage = new Map<string, string[]>();
  for (const [table, column, type] of result.rows) {
    const columns = tables.get(table) ?? {};
    if (LINEAGE.has(column)) lineage.set(table, [...(lineage.get(table) ?? []), column]);
    else columns[column] = type;
    tables.set(table, columns);
  }
  return [...tables].map(([name, columns]) => ({
    name,
    columns,
    allColumns: [...Object.keys(columns), ...(lineage.get(name) ?? [])],
    hasRejects: tables.has(rejectsTable(name)),
  }));
}
