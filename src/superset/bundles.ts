/**
 * The curated dashboards (Sales, Data quality) as code: Superset asset bundles, the YAML
 * Superset exports, kept under services/superset/assets/<slug>/ with fixed UUIDs and
 * imported through Superset's own importer (POST /api/v1/assets/import/). Two installs
 * get the same dashboards and charts, and a dashboard edited in Superset can be exported
 * back into the repository (`lakehouse dashboards --export DIR`).
 *
 * What differs between installs is filled in at import: the Trino connection's address,
 * the SQL of the Data quality datasets (it lists the tables), and the UUIDs of datasets
 * this Superset already has under the same name (the importer matches by UUID, and two
 * datasets may not share a name).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { strToU8, unzipSync, zipSync } from "fflate";
import { parse, stringify } from "yaml";
import { projectRoot } from "../config/paths.ts";
import type { SupersetClient } from "./client.ts";
import type { Dataset } from "./datasets.ts";
import type { VirtualDataset } from "./quality.ts";

export const ASSETS = join(projectRoot, "services", "superset", "assets");

type Yaml = Record<string, unknown>;

/** The bundle of one curated dashboard: its files by path (databases/x.yaml, ...). */
export interface Bundle {
  slug: string;
  files: Map<string, Yaml>;
  /** A hash of its files, for the provisioning's fingerprint. */
  digest: string;
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder)
    .sort()
    .flatMap((name) => {
      const path = join(folder, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    });
}

/** The curated dashboards' bundles in the repository. */
export function curatedBundles(): Bundle[] {
  return readdirSync(ASSETS)
    .sort()
    .filter((slug) => statSync(join(ASSETS, slug)).isDirectory())
    .map((slug) => {
      const folder = join(ASSETS, slug);
      const hash = createHash("sha256");
      const files = new Map<string, Yaml>();
      for (const path of filesUnder(folder).filter((p) => p.endsWith(".yaml"))) {
        const text = readFileSync(path, "utf8");
        hash.update(text);
        files.set(
          relative(folder, path).split(sep).join("/"),
          parse(text, { version: "1.1" }) as Yaml,
        );
      }
      return { slug, files, digest: hash.digest("hex") };
    });
}

const of = (files: Map<string, Yaml>, folder: string) =>
  [...files].filter(([path]) => path.startsWith(`${folder}/`)).map(([, yaml]) => yaml);

/** What the bundle's datasets read: tables (which must exist), and SQL datasets by name. */
export function datasetsOf(bundle: Bundle): { tables: string[]; virtual: string[] } {
  const datasets = of(bundle.files, "datasets");
  return {
    tables: datasets.filter((d) => !d.sql).map((d) => String(d.table_name)),
    virtual: datasets.filter((d) => d.sql).map((d) => String(d.table_name)),
  };
}

/** What its charts' names start with ("Sales · "), which the charts made for it share. */
export function chartPrefix(bundle: Bundle): string {
  const [chart] = of(bundle.files, "charts");
  const name = String(chart?.slice_name ?? "");
  return name.slice(0, name.indexOf(" · ") + 3);
}

/** The dashboard's UUID in the bundle. */
export function dashboardUuid(bundle: Bundle): string {
  const [dashboard] = of(bundle.files, "dashboards");
  return String(dashboard?.uuid);
}

export interface ImportContext {
  trinoUri: string;
  catalog: string;
  schema: string;
  database: { id: number; uuid: string };
  /** This Superset's datasets of the lakehouse's connection and schema, with their UUIDs. */
  datasets: (Dataset & { uuid: string })[];
  virtual: VirtualDataset[];
}

/**
 * Imports the bundle, overwriting the objects it holds, then re-reads its datasets'
 * columns and points each chart's saved query at its dataset's id in this Superset.
 */
export async function importBundle(
  superset: SupersetClient,
  bundle: Bundle,
  context: ImportContext,
): Promise<void> {
  const files = new Map<string, Yaml>();
  const renamed = new Map<string, string>(); // the bundle's dataset UUID -> this Superset's
  for (const [path, yaml] of bundle.files) {
    const file = structuredClone(yaml);
    if (path === "metadata.yaml") {
      // An export of a dashboard says `type: Dashboard`; the assets importer (which, unlike
      // the dashboard importer, also updates existing charts and datasets) wants this.
      file.type = "assets";
    } else if (path.startsWith("databases/")) {
      file.uuid = context.database.uuid;
      file.sqlalchemy_uri = context.trinoUri;
    } else if (path.startsWith("datasets/")) {
      file.database_uuid = context.database.uuid;
      file.catalog = context.catalog;
      file.schema = context.schema;
      const name = String(file.table_name);
      const sql = context.virtual.find((v) => v.name === name)?.sql;
      if (file.sql) file.sql = sql ?? file.sql;
      const same = context.datasets.find((d) => d.table_name === name && !d.sql === !file.sql);
      if (same) {
        renamed.set(String(file.uuid), same.uuid);
        file.uuid = same.uuid;
      }
    }
    files.set(path, file);
  }
  const zip: Record<string, Uint8Array> = {};
  for (const [path, file] of files) {
    // YAML 1.1, as Superset (PyYAML) reads it: strings that 1.1 would take for dates or
    // booleans ("yes") are quoted.
    let text = stringify(file, { version: "1.1" });
    // Charts and the dashboard's filters name their datasets by UUID.
    for (const [from, to] of renamed) text = text.replaceAll(from, to);
    zip[`bundle/${path}`] = strToU8(text);
  }
  const form = new FormData();
  form.append("bundle", new Blob([zipSync(zip)], { type: "application/zip" }), "bundle.zip");
  form.append("passwords", "{}");
  await superset.upload("/api/v1/assets/import/", form);
  await afterImport(superset, files, renamed);
}

/** The imported objects, as this Superset now has them: columns and saved queries. */
async function afterImport(
  superset: SupersetClient,
  files: Map<string, Yaml>,
  renamed: Map<string, string>,
): Promise<void> {
  const datasets = await superset.list<{ id: number; uuid: string }>("dataset", ["id", "uuid"]);
  const ids = new Map(datasets.map((d) => [d.uuid, d.id]));
  for (const dataset of of(files, "datasets")) {
    const id = ids.get(String(dataset.uuid)); // renamed already
    if (id !== undefined) await superset.request("PUT", `/api/v1/dataset/${id}/refresh`);
  }
  const charts = await superset.list<{ id: number; uuid: string }>("chart", ["id", "uuid"]);
  for (const chart of of(files, "charts")) {
    const id = charts.find((c) => c.uuid === chart.uuid)?.id;
    const uuid = String(chart.dataset_uuid);
    const datasetId = ids.get(renamed.get(uuid) ?? uuid);
    if (id === undefined || datasetId === undefined || typeof chart.query_context !== "string") {
      continue;
    }
    // The saved query (what /api/v1/chart/{id}/data/ runs) names its dataset by id, which
    // differs between installs.
    const query = JSON.parse(chart.query_context) as {
      datasource: { id: number };
      form_data?: { datasource?: string };
    };
    query.datasource.id = datasetId;
    if (query.form_data) query.form_data.datasource = `${datasetId}__table`;
    await superset.request("PUT", `/api/v1/chart/${id}`, {
      query_context: JSON.stringify(query),
    });
  }
}

/**
 * Writes the dashboards' bundles (Superset's export) into `dir`, one folder per slug,
 * replacing what that folder held (its file names carry ids that change between exports).
 */
export async function exportDashboards(
  superset: SupersetClient,
  dashboards: { id: number; slug: string }[],
  dir: string,
): Promise<string[]> {
  const written: string[] = [];
  for (const dashboard of dashboards) {
    const zip = await superset.download(
      `/api/v1/dashboard/export/?q=${encodeURIComponent(`!(${dashboard.id})`)}`,
    );
    rmSync(join(dir, dashboard.slug), { recursive: true, force: true });
    for (const [name, content] of Object.entries(unzipSync(zip))) {
      // Every path starts with the export's own folder name; the rest is the layout.
      const path = name.split("/").slice(1).join("/");
      if (!path.endsWith(".yaml")) continue;
      const target = join(dir, dashboard.slug, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
      written.push(target);
    }
  }
  return written;
}
