import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { AirflowClient } from "../airflow/client.ts";
import type { Reporter } from "../cli/reporter.ts";
import { UserError } from "../cli/user-error.ts";
import { s3Client } from "../clients/s3.ts";
import type { Settings } from "../config/settings.ts";
import { downloadBucket } from "./object-store.ts";
import { type PostgresTools, postgresTools } from "./postgres-tools.ts";

/** The DAG that expires snapshots and deletes unreferenced files (airflow/dags/iceberg_maintenance.py). */
export const MAINTENANCE_DAG = "iceberg_maintenance";

/** What a backup folder holds, in its backup.json. */
export interface BackupManifest {
  format: 1;
  createdAt: string;
  mode: "native" | "docker";
  /** PostgreSQL databases, one `databases/<name>.dump` (pg_dump's custom format) each. */
  databases: string[];
  /** Buckets, their objects under `objects/<bucket>/<key>`. */
  buckets: { name: string; objects: number; bytes: number }[];
  /** Each Iceberg table and the metadata file the catalog pointed at when it was dumped. */
  tables: { name: string; metadataLocation: string }[];
  seconds: number;
}

export const MANIFEST = "backup.json";
/** The .env the backup was taken with: the databases' passwords and keys belong to it. */
export const ENV_COPY = "env";

export const databasesDir = (dir: string) => join(dir, "databases");
export const objectsDir = (dir: string, bucket: string) => join(dir, "objects", bucket);

/**
 * A consistent backup of a running platform. The catalog's database is dumped first and
 * the object store copied after: Iceberg writes a table's files before the catalog points
 * at them and never rewrites a file, so every file the dumped catalog references is in the
 * copy, as long as nothing deletes files meanwhile. The only thing that does is the
 * maintenance DAG, which is paused for the backup's length (and its running run awaited).
 * Every table's metadata file and current manifest list are then checked in the copy.
 */
export async function takeBackup(
  s: Settings,
  mode: "native" | "docker",
  target: string,
  reporter: Reporter,
): Promise<BackupManifest> {
  const dir = resolve(target);
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new UserError(`${dir} is not empty: choose a new folder for the backup`);
  mkdirSync(databasesDir(dir), { recursive: true, mode: 0o700 });
  const started = Date.now();
  const pg = postgresTools(s, mode);
  const resume = await pauseMaintenance(s, reporter);
  try {
    const databases = await dumpDatabases(s, pg, dir, reporter);
    const tables = await catalogTables(s, pg, dir);
    const buckets = [];
    for (const bucket of [s.s3.bucket, s.s3.warehouseBucket]) {
      const done = reporter.step(`Copying s3://${bucket}`);
      let bytes = 0;
      const objects = await downloadBucket(s3Client(s), bucket, objectsDir(dir, bucket), (n) => {
        bytes += n;
        reporter.progress(`s3://${bucket}`, bytes, undefined);
      });
      done(`${objects.length} objects, ${mib(bytes)}`);
      buckets.push({ name: bucket, objects: objects.length, bytes });
    }
    const missing = tables.flatMap((t) =>
      missingFiles(dir, t.metadataLocation).map((f) => `${t.name}: ${f}`),
    );
    if (missing.length > 0)
      throw new UserError(
        `the backup in ${dir} is not consistent, files its tables need are missing:\n  ${missing.slice(0, 10).join("\n  ")}\nWas something deleting files meanwhile? Take it again.`,
      );
    copyFileSync(s.paths.envFile, join(dir, ENV_COPY));
    const manifest: BackupManifest = {
      format: 1,
      createdAt: new Date(started).toISOString(),
      mode,
      databases,
      buckets,
      tables,
      seconds: (Date.now() - started) / 1000,
    };
    writeFileSync(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    return manifest;
  } finally {
    await resume();
  }
}

/** Every database of the platform, the catalog's first (the point in time of the backup). */
async function dumpDatabases(
  s: Settings,
  pg: PostgresTools,
  dir: string,
  reporter: Reporter,
): Promise<string[]> {
  const listed = await pg.run("psql", [
    ...["--dbname", "postgres", "--no-psqlrc", "--tuples-only", "--no-align", "--command"],
    "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate AND datname <> 'postgres'",
  ]);
  const names = listed
    .split("\n")
    .map((n) => n.trim())
    .filter(Boolean);
  const catalog = s.postgres.catalogDatabase;
  if (!names.includes(catalog))
    throw new UserError(
      `no "${catalog}" database in PostgreSQL: is this the platform's? See ./lakehouse status`,
    );
  const ordered = [catalog, ...names.filter((n) => n !== catalog).sort()];
  for (const name of ordered) {
    const done = reporter.step(`Dumping database ${name}`);
    await pg.run("pg_dump", ["--format=custom", "--dbname", name], {
      stdout: join(databasesDir(dir), `${name}.dump`),
    });
    done();
  }
  return ordered;
}

/** The tables in the dumped catalog (the JDBC catalog's iceberg_tables), read from the dump. */
async function catalogTables(
  s: Settings,
  pg: PostgresTools,
  dir: string,
): Promise<BackupManifest["tables"]> {
  const sql = await pg.run("pg_restore", ["--data-only", "--table=iceberg_tables", "--file=-"], {
    stdin: join(databasesDir(dir), `${s.postgres.catalogDatabase}.dump`),
  });
  return parseCatalogTables(sql);
}

/** The rows of `COPY … iceberg_tables (…) FROM stdin;` in pg_restore's SQL output. */
export function parseCatalogTables(sql: string): BackupManifest["tables"] {
  const lines = sql.split("\n");
  const header = lines.findIndex((l) => /^COPY \S*iceberg_tables \(/.test(l));
  if (header < 0) return [];
  const columns = (lines[header]?.match(/\(([^)]*)\)/)?.[1] ?? "").split(",").map((c) => c.trim());
  const at = (name: string) => columns.indexOf(name);
  const tables: BackupManifest["tables"] = [];
  for (const line of lines.slice(header + 1)) {
    if (line === "\\.") break;
    const cells = line.split("\t");
    const location = cells[at("metadata_location")];
    if (!location || location === "\\N") continue;
    tables.push({
      name: `${cells[at("table_namespace")]}.${cells[at("table_name")]}`,
      metadataLocation: location,
    });
  }
  return tables;
}

/** The object's path in the backup folder, for an s3://bucket/key location. */
export function localCopy(dir: string, location: string): string {
  const match = /^s3a?:\/\/([^/]+)\/(.+)$/.exec(location);
  if (!match) throw new Error(`not an s3:// location: ${location}`);
  return join(objectsDir(dir, match[1] as string), ...(match[2] as string).split("/"));
}

/** The table's metadata file and its current snapshot's manifest list, where missing. */
function missingFiles(dir: string, metadataLocation: string): string[] {
  const metadata = localCopy(dir, metadataLocation);
  if (!existsSync(metadata)) return [metadataLocation];
  const json = JSON.parse(readFileSync(metadata, "utf8")) as {
    "current-snapshot-id"?: number | null;
    snapshots?: { "snapshot-id": number; "manifest-list": string }[];
  };
  const current = json.snapshots?.find((x) => x["snapshot-id"] === json["current-snapshot-id"]);
  if (current && !existsSync(localCopy(dir, current["manifest-list"])))
    return [current["manifest-list"]];
  return [];
}

/**
 * Pauses the maintenance DAG and waits for a run of it in progress; returns what undoes
 * that. Without Airflow's API (Airflow stopped), nothing can run it: nothing to pause.
 */
async function pauseMaintenance(s: Settings, reporter: Reporter): Promise<() => Promise<void>> {
  const airflow = new AirflowClient(s);
  const path = `/api/v2/dags/${MAINTENANCE_DAG}`;
  let paused: boolean;
  try {
    paused = (await airflow.request<{ is_paused: boolean }>("GET", path)).is_paused;
  } catch (error) {
    reporter.warn(
      `Airflow does not answer (${(error as Error).message}); its maintenance cannot run either`,
    );
    return async () => undefined;
  }
  if (!paused) await airflow.request("PATCH", path, { is_paused: true });
  const resume = async () => {
    if (!paused) await airflow.request("PATCH", path, { is_paused: false });
  };
  const done = reporter.step(`Pausing ${MAINTENANCE_DAG} for the backup`);
  const deadline = Date.now() + MAINTENANCE_WAIT_MS;
  for (;;) {
    const runs = await airflow.request<{ total_entries: number }>(
      "GET",
      `${path}/dagRuns?state=running&limit=1`,
    );
    if (runs.total_entries === 0) break;
    if (Date.now() > deadline) {
      done("a run is still going", false);
      await resume();
      throw new UserError(
        `${MAINTENANCE_DAG} has been running for over ${MAINTENANCE_WAIT_MS / 60_000} minutes of waiting, and it deletes files a backup may need. Let it finish (Airflow UI, DAG ${MAINTENANCE_DAG}) and run the backup again.`,
      );
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
  done(paused ? "it was paused already" : "paused");
  return resume;
}

/** How long the backup waits for a maintenance run in progress (one takes minutes). */
const MAINTENANCE_WAIT_MS = 30 * 60_000;

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
