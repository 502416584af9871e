/**
 * Superset's view of Trino: the connection, a dataset per table and the virtual datasets
 * (SQL) the Data quality dashboard reads. Found again by name, so provisioning is
 * idempotent.
 */
import type { SupersetClient } from "./client.ts";
import type { VirtualDataset } from "./quality.ts";

/** The Trino connection's name in Superset. */
export const DATABASE_NAME = "Lakehouse (Trino)";

export interface Dataset {
  id: number;
  table_name: string;
  schema: string;
  sql: string | null;
  database: { id: number };
}

export async function ensureDatabase(superset: SupersetClient, trinoUri: string): Promise<number> {
  const body = {
    database_name: DATABASE_NAME,
    sqlalchemy_uri: trinoUri,
    expose_in_sqllab: true,
    allow_ctas: false,
    allow_cvas: false,
    allow_dml: false,
  };
  const found = (
    await superset.list<{ id: number; database_name: string }>("database", ["id", "database_name"])
  ).find((d) => d.database_name === DATABASE_NAME);
  if (found) {
    const { result } = await superset.request<{ result: Record<string, unknown> }>(
      "GET",
      `/api/v1/database/${found.id}`,
    );
    const same = Object.entries(body).every(([key, value]) => result[key] === value);
    if (!same) await superset.request("PUT", `/api/v1/database/${found.id}`, body);
    return found.id;
  }
  return (await superset.request<{ id: number }>("POST", "/api/v1/database/", body)).id;
}

/** The datasets of the lakehouse's connection and schema. */
export async function lakehouseDatasets(
  superset: SupersetClient,
  database: number,
  schema: string,
): Promise<Dataset[]> {
  const all = await superset.list<Dataset>("dataset", [
    "id",
    "table_name",
    "schema",
    "sql",
    "database.id",
  ]);
  return all.filter((d) => d.database.id === database && d.schema === schema);
}

export interface Where {
  database: number;
  catalog: string;
  schema: string;
}

/**
 * A table's dataset, created or found; `refresh` re-reads its columns (the table may have
 * gained some since: schema evolution).
 */
export async function ensureTableDataset(
  superset: SupersetClient,
  where: Where,
  existing: Dataset[],
  table: string,
  refresh: boolean,
): Promise<number> {
  const found = existing.find((d) => d.table_name === table && !d.sql);
  if (found) {
    if (refresh) await superset.request("PUT", `/api/v1/dataset/${found.id}/refresh`);
    return found.id;
  }
  const created = await superset.request<{ id: number }>("POST", "/api/v1/dataset/", {
    ...where,
    table_name: table,
  });
  existing.push({
    id: created.id,
    table_name: table,
    schema: where.schema,
    sql: null,
    database: { id: where.database },
  });
  return created.id;
}

/** A virtual dataset, created, or its SQL brought up to date (then its columns re-read). */
export async function ensureVirtualDataset(
  superset: SupersetClient,
  where: Where,
  existing: Dataset[],
  dataset: VirtualDataset,
  columnsMayDiffer = true,
): Promise<number> {
  const found = existing.find((d) => d.table_name === dataset.name);
  if (found) {
    if (found.sql !== dataset.sql) {
      await superset.request("PUT", `/api/v1/dataset/${found.id}`, { sql: dataset.sql });
      // Refreshing runs the query (over up to 100 tables' metadata: 10 s and more). Only the
      // tables it reads change from run to run, not its columns, unless its code did.
      if (columnsMayDiffer) await superset.request("PUT", `/api/v1/dataset/${found.id}/refresh`);
    }
    return found.id;
  }
  const created = await superset.request<{ id: number }>("POST", "/api/v1/dataset/", {
    ...where,
    table_name: dataset.name,
    sql: dataset.sql,
  });
  return created.id;
}
