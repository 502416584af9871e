import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { trinoClient } from "../bootstrap/bootstrap.ts";
import { UserError } from "../cli/user-error.ts";
import type { Settings } from "../config/settings.ts";
import {
  HEALTH_TABLE,
  isRecordTable,
  isRejectsTable,
  LEDGER_TABLE,
  rejectsTable,
} from "../pipeline/conventions.ts";
import { withLock } from "../runtime/lock.ts";
import { supersetTrinoUri } from "../runtime/native/superset.ts";
import {
  type Bundle,
  chartPrefix,
  curatedBundles,
  dashboardUuid,
  datasetsOf,
  exportDashboards,
  importBundle,
} from "./bundles.ts";
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
  overviewSlug,
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
import { fingerprint, loadState, saveState } from "./provision-state.ts";
import { fileStatus, quarantine, tableHealth } from "./quality.ts";
import { baseTable, loadsPerTable, tableNames, tableShapes } from "./table-shapes.ts";

export { DATABASE_NAME } from "./datasets.ts";

export interface ProvisionResult {
  database: number;
  datasets: Record<string, number>;
  dashboards: Record<string, { id: number; url: string }>;
  /** The dashboards written (slugs); the others were up to date. */
  written: string[];
  /** Curated dashboards changed in Superset, so left as they are. */
  kept: string[];
  /** Dashboards that could not be written (each said why through `progress`). */
  failed: string[];
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
  overwrite = false,
  progress: (line: string) => void = () => {},
): Promise<ProvisionResult> {
  const trinoUri = supersetTrinoUri(s, mode);
  // One at a time: Airflow's refresh step and a user's `lakehouse dashboards` may overlap,
  // and two provisioners would both create what neither found.
  mkdirSync(s.paths.state, { recursive: true });
  return withLock(join(s.paths.state, "provision.lock"), () =>
    provision(s, trinoUri, overwrite, progress),
  );
}

async function provision(
  s: Settings,
  trinoUri: string,
  overwrite: boolean,
  progress: (line: string) => void,
): Promise<ProvisionResult> {
  const superset = new SupersetClient(s);
  const trino = trinoClient(s);
  const { catalog, schema } = s.trino;
  const dashboardList = () =>
    superset.list<Dashboard>("dashboard", ["id", "slug", "uuid", "changed_on_utc"]);
  // What Trino and Superset hold is asked of both at once: a run with nothing to write is
  // mostly these questions, and waits for the slower side rather than for their sum.
  const [database, listed, loads] = await Promise.all([
    ensureDatabase(superset, trinoUri),
    tableNames(trino, catalog, schema),
    loadsPerTable(trino),
  ]);
  const stateFile = join(s.paths.state, "superset", "provisioned.json");
  const state = loadState(stateFile, `${superset.baseUrl} ${database}`);
  const where = { database, catalog, schema };
  const [tables, existing, dashboards] = await Promise.all([
    tableShapes(trino, catalog, schema, listed, loads, state.tables),
    lakehouseDatasets(superset, database, schema),
    dashboardList(),
  ]);
  const names = new Set(tables.map((t) => t.name));

  const datasets: Record<string, number> = {};
  for (const table of tables) {
    // Its columns are read again only when they changed (schema evolution).
    const columns = fingerprint(table.allColumns, table.columns);
    const known = state.datasets[table.name] === columns;
    datasets[table.name] = await ensureTableDataset(superset, where, existing, table.name, !known);
    state.datasets[table.name] = columns;
  }
  // The most recently loaded first: the quarantine covers a bounded number of rejects
  // tables (quality.ts).
  const lastLoad = (table: string) => loads.get(baseTable(table))?.last ?? "";
  const recent = [...tables].sort(
    (a, b) => lastLoad(b.name).localeCompare(lastLoad(a.name)) || a.name.localeCompare(b.name),
  );
  const virtual = [
    quarantine(
      recent
        .filter((t) => isRejectsTable(t.name))
        .map((t) => ({
          table: baseTable(t.name),
          rejects: t.name,
          columns: t.allColumns,
        })),
    ),
    tableHealth(names.has(HEALTH_TABLE)),
  ];
  const ledger = tables.find((t) => t.name === LEDGER_TABLE);
  if (ledger) virtual.unshift(fileStatus(ledger.allColumns));
  for (const dataset of virtual) {
    // Its columns are those of the code that wrote it: read again only after the code changed.
    const code = fingerprint("virtual", dataset.name);
    const known = state.virtual[dataset.name] === code;
    datasets[dataset.name] = await ensureVirtualDataset(superset, where, existing, dataset, !known);
    state.virtual[dataset.name] = code;
  }
  for (const name of Object.keys(state.datasets)) if (!names.has(name)) delete state.datasets[name];

  // Each dashboard with what it is made of: written (statistics read, a bundle imported)
  // only when that changed.
  const planned: Planned[] = [];
  const virtualNames = new Set(virtual.map((v) => v.name));
  for (const bundle of curatedBundles()) {
    // Importable once its tables exist (Sales needs sales_sample; Data quality, the ledger).
    const needs = datasetsOf(bundle);
    if (
      !needs.tables.every((t) => names.has(t)) ||
      !needs.virtual.every((v) => virtualNames.has(v))
    )
      continue;
    const inputs = [bundle.digest, ...needs.tables.map((t) => datasets[t])];
    const write = async () => {
      await replaceLegacy(superset, bundle, dashboards);
      const uuids = await lakehouseDatasetUuids(superset, existing);
      await importBundle(superset, bundle, {
        trinoUri,
        catalog: s.trino.catalog,
        schema: s.trino.schema,
        database: { id: database, uuid: await databaseUuid(superset, database) },
        datasets: uuids,
        virtual,
      });
      const imported = (await dashboardList()).find((d) => d.uuid === dashboardUuid(bundle));
      if (!imported) throw new Error(`importing ${bundle.slug} made no dashboard`);
      return imported.id;
    };
    planned.push({ slug: bundle.slug, curated: true, inputs, write });
  }
  const isData = (t: TableShape) => !isRecordTable(t.name) && !isRejectsTable(t.name);
  for (const table of tables.filter(isData)) {
    const rejects = rejectsTable(table.name);
    const inputs = [table, loads.get(table.name), datasets[table.name], datasets[rejects]];
    const write = async () => {
      const { rows } = await trino.query(statsQuery(table.name, table.columns));
      const spec = overviewDashboard(table, parseStats(table.columns, rows[0] ?? []));
      // Only its own charts: with a hundred tables, listing every chart is most of the time.
      const charts = await superset.list<Chart>(
        "chart",
        ["id", "slice_name"],
        ["slice_name", spec.chartPrefix],
      );
      return ensureDashboard(superset, spec, datasets, charts, dashboards);
    };
    planned.push({ slug: overviewSlug(table.name), curated: false, inputs, write });
  }

  const result: ProvisionResult = {
    database,
    datasets,
    dashboards: {},
    written: [],
    kept: [],
    failed: [],
    removed: [],
  };
  for (const plan of planned) {
    const print = fingerprint(plan.slug, plan.inputs);
    const written = state.dashboards[plan.slug];
    const current = dashboards.find((d) => d.slug === plan.slug);
    const same = current !== undefined && current.id === written?.id;
    // Changed in Superset after provisioning wrote it: someone's edit. Changed to an
    // earlier time: Superset went back (a restored backup), and gets the current version.
    const changedOn = current?.changed_on_utc ?? "";
    // Unknown when its write was cut short: written again.
    const recorded = written?.changedOn || undefined;
    const edited = same && recorded !== undefined && changedOn > recorded;
    const rewound = same && (recorded === undefined || changedOn < recorded);
    let id = current?.id ?? 0;
    if (plan.curated && edited && !overwrite) {
      // A curated dashboard changed in Superset is someone's work: kept, never overwritten.
      result.kept.push(plan.slug);
      progress(
        `kept ${plan.slug}: changed in Superset since it was provisioned (--export DIR saves it, --overwrite replaces it)`,
      );
    } else if (!same || edited || rewound || written?.fingerprint !== print || overwrite) {
      try {
        id = await plan.write();
      } catch (error) {
        // One dashboard that cannot be written (its table's statistics query failed, say)
        // costs that dashboard, not the others; the command fails at the end.
        result.failed.push(plan.slug);
        progress(`failed ${plan.slug}: ${(error as Error).message}`);
        continue;
      }
      // Its changed_on is read below, once every dashboard is written.
      state.dashboards[plan.slug] = { id, fingerprint: print, changedOn: "" };
      result.written.push(plan.slug);
      progress(`${current ? "updated" : "created"} ${plan.slug}`);
    }
    result.dashboards[plan.slug] = {
      id,
      url: `${superset.baseUrl}/superset/dashboard/${plan.slug}/`,
    };
  }
  if (result.written.length > 0) {
    const after = await dashboardList();
    for (const slug of result.written) {
      const written = state.dashboards[slug];
      const now = after.find((d) => d.slug === slug);
      if (written && now?.changed_on_utc) written.changedOn = now.changed_on_utc;
    }
  }
  const wanted = new Set(planned.map((p) => p.slug));
  result.removed = await removeDropped(superset, names, existing, dashboards, wanted, progress);
  for (const table of result.removed) progress(`removed the dashboard and dataset of ${table}`);
  for (const slug of Object.keys(state.dashboards)) {
    if (!wanted.has(slug)) delete state.dashboards[slug];
  }
  saveState(stateFile, state);
  return result;
}

interface Planned {
  slug: string;
  /** From a bundle in the repository: edited in Superset, it is kept. */
  curated: boolean;
  /** What the dashboard is made of: when they change, it is written again. */
  inputs: unknown[];
  /** Writes it; returns its id. */
  write: () => Promise<number>;
}

/**
 * A curated dashboard made before its bundle existed (by the API, another UUID) holds the
 * slug the import needs: it goes, with the charts made for it.
 */
async function replaceLegacy(
  superset: SupersetClient,
  bundle: Bundle,
  dashboards: Dashboard[],
): Promise<void> {
  const legacy = dashboards.find((d) => d.slug === bundle.slug && d.uuid !== dashboardUuid(bundle));
  if (legacy) await removeDashboard(superset, legacy, chartPrefix(bundle));
}

async function databaseUuid(superset: SupersetClient, id: number): Promise<string> {
  const { result } = await superset.request<{ result: { uuid: string } }>(
    "GET",
    `/api/v1/database/${id}`,
  );
  return result.uuid;
}

async function lakehouseDatasetUuids(
  superset: SupersetClient,
  existing: Dataset[],
): Promise<(Dataset & { uuid: string })[]> {
  const all = await superset.list<{ id: number; uuid: string }>("dataset", ["id", "uuid"]);
  return existing.flatMap((d) => {
    const uuid = all.find((a) => a.id === d.id)?.uuid;
    return uuid ? [{ ...d, uuid }] : [];
  });
}

/** Exports the curated dashboards as they are in Superset now; returns their slugs. */
export async function exportCurated(s: Settings, dir: string): Promise<string[]> {
  const superset = new SupersetClient(s);
  const slugs = new Set(curatedBundles().map((b) => b.slug));
  const dashboards = (await superset.list<Dashboard>("dashboard", ["id", "slug"])).flatMap((d) =>
    d.slug && slugs.has(d.slug) ? [{ id: d.id, slug: d.slug }] : [],
  );
  if (dashboards.length === 0) {
    throw new UserError(
      "Superset has none of the curated dashboards yet: run ./lakehouse dashboards first.",
    );
  }
  await exportDashboards(superset, dashboards, dir);
  return dashboards.map((d) => d.slug);
}

/**
 * The lifecycle of a dropped table: its automatic dashboard, the charts made for it and its
 * dataset go too (a dataset Superset refuses to delete is left, and said so). Returns the
 * tables whose assets were removed.
 */
async function removeDropped(
  superset: SupersetClient,
  tables: Set<string>,
  datasets: Dataset[],
  dashboards: Dashboard[],
  wanted: Set<string>,
  progress: (line: string) => void,
): Promise<string[]> {
  const removed = new Set<string>();
  for (const dashboard of dashboards) {
    const table = dashboard.slug ? tableOfOverview(dashboard.slug) : undefined;
    if (table === undefined || wanted.has(dashboard.slug ?? "")) continue;
    await removeDashboard(superset, dashboard, overviewChartPrefix(table));
    removed.add(table);
  }
  for (const dataset of datasets) {
    if (dataset.sql || tables.has(dataset.table_name)) continue;
    try {
      await superset.request("DELETE", `/api/v1/dataset/${dataset.id}`);
      removed.add(dataset.table_name);
    } catch (error) {
      // Refused (a chart of someone's own still uses it, say): left for them to remove.
      progress(
        `kept the dataset of dropped table ${dataset.table_name}: ${(error as Error).message}`,
      );
    }
  }
  return [...removed].sort();
}
