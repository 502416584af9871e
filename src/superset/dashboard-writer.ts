/**
 * Writes a dashboard spec into Superset: its charts (found again by name) and its layout;
 * removes what provisioning made and no longer wants.
 */
import type { ChartSpec, DashboardSpec } from "./charts.ts";
import type { SupersetClient } from "./client.ts";

/** Markdown: each chart's name and what it shows. */
function aboutNote(charts: ChartSpec[]): string {
  const markdown = (text: string) => text.replace(/[\\`*_[\]<>#|]/g, (c) => `\\${c}`);
  const lines = charts.map((c) => `- **${markdown(c.name)}**: ${markdown(c.description)}`);
  return ["#### What these charts show", "", ...lines].join("\n");
}

/** Grid rows (of 8 px) per kind of chart. */
const HEIGHT: Record<string, number> = { big_number_total: 34, table: 64 };

export interface Chart {
  id: number;
  slice_name: string;
}
export interface Dashboard {
  id: number;
  slug: string | null;
  uuid?: string;
  changed_on_utc?: string;
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
    description: spec.description,
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

export async function ensureDashboard(
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
          height: HEIGHT[chart.vizType] ?? 60,
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
  // What each chart shows, in a note under the charts: Superset 6.1 stores a chart's
  // description but does not show it on a dashboard.
  const shown = spec.rows.flat().filter((chart) => datasets[chart.table] !== undefined);
  const about = "ROW-about";
  rowIds.push(about);
  layout[about] = {
    type: "ROW",
    id: about,
    children: ["MARKDOWN-about"],
    parents: ["ROOT_ID", "GRID_ID"],
    meta: { background: "BACKGROUND_TRANSPARENT" },
  };
  layout["MARKDOWN-about"] = {
    type: "MARKDOWN",
    id: "MARKDOWN-about",
    children: [],
    parents: ["ROOT_ID", "GRID_ID", about],
    meta: { width: 12, height: 8 + 4 * shown.length, code: aboutNote(shown) },
  };
  layout.GRID_ID = { type: "GRID", id: "GRID_ID", children: rowIds, parents: ["ROOT_ID"] };
  await superset.request("PUT", `/api/v1/dashboard/${id}`, {
    dashboard_title: spec.title,
    slug: spec.slug,
    published: true,
    position_json: JSON.stringify(layout),
    json_metadata: JSON.stringify({
      native_filter_configuration: [],
      refresh_frequency: 0,
      color_scheme: "supersetColors",
      cross_filters_enabled: true,
    }),
  });
  await removeStaleCharts(superset, id, spec.chartPrefix, new Set(chartIds), charts);
  return id;
}

/**
 * The charts of the dashboard that provisioning made (their names start with its prefix)
 * and the spec no longer has: a dropped column's, say. A chart of someone else's naming is
 * left alone.
 */
async function removeStaleCharts(
  superset: SupersetClient,
  dashboardId: number,
  prefix: string,
  wanted: Set<number>,
  charts: Chart[],
): Promise<void> {
  const { result } = await superset.request<{ result: Chart[] }>(
    "GET",
    `/api/v1/dashboard/${dashboardId}/charts`,
  );
  for (const chart of result) {
    if (wanted.has(chart.id) || !chart.slice_name.startsWith(prefix)) continue;
    await superset.request("DELETE", `/api/v1/chart/${chart.id}`);
    const known = charts.findIndex((c) => c.id === chart.id);
    if (known >= 0) charts.splice(known, 1);
  }
}

/** A dashboard provisioning made, with the charts it made for it. */
export async function removeDashboard(
  superset: SupersetClient,
  dashboard: Dashboard,
  prefix: string,
): Promise<void> {
  await removeStaleCharts(superset, dashboard.id, prefix, new Set(), []);
  await superset.request("DELETE", `/api/v1/dashboard/${dashboard.id}`);
}
