import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { totalmem } from "node:os";
import { z } from "zod";
import { ensureSecrets, parseDotenv } from "./dotenv.ts";
import { cacheDir, dataDir, envFile, projectRoot, stateDir } from "./paths.ts";
import { Secret } from "./secret.ts";
import { JVM_SIZE, trinoHeapFor } from "./trino-memory.ts";

/**
 * Host ports, identical in native and docker mode (the spec's defaults). Each is
 * overridable by the variable of the same name in the environment or `.env`.
 */
export const PORT_DEFAULTS = {
  POSTGRES_PORT: 5432,
  VALKEY_PORT: 6379,
  SEAWEEDFS_MASTER_PORT: 9333,
  SEAWEEDFS_VOLUME_PORT: 8082,
  SEAWEEDFS_FILER_PORT: 8888,
  SEAWEEDFS_S3_PORT: 8333,
  AIRFLOW_PORT: 8081,
  FLOWER_PORT: 5555,
  ICEBERG_REST_PORT: 8181,
  TRINO_PORT: 8083,
  SUPERSET_PORT: 8088,
} as const;
export type PortName = keyof typeof PORT_DEFAULTS;

/**
 * Generated into `.env` on first run; no two installs share them. Airflow and Superset
 * read theirs in docker mode today (docker-compose.yml) and natively once they run here.
 */
export const GENERATED_SECRETS = [
  "POSTGRES_PASSWORD",
  "VALKEY_PASSWORD",
  "S3_ACCESS_KEY",
  "S3_SECRET_KEY",
  "AIRFLOW_FERNET_KEY",
  "AIRFLOW_API_SECRET",
  "AIRFLOW_ADMIN_PASSWORD",
  "SUPERSET_SECRET_KEY",
  "SUPERSET_ADMIN_PASSWORD",
] as const;

/** Secrets that need a particular form; the rest are 32 random letters and digits. */
const SECRET_FORMS: Partial<Record<(typeof GENERATED_SECRETS)[number], () => string>> = {
  // Airflow refuses anything but a Fernet key: 32 random bytes, url-safe base64, padded.
  AIRFLOW_FERNET_KEY: () => `${randomBytes(32).toString("base64url")}=`,
};

const port = z.coerce.number().int().min(1).max(65535);
const secret = z
  .string({ error: "is not set: remove it from .env and run again to generate a new one" })
  .min(12, "must be at least 12 characters")
  .transform((v) => new Secret(v));
const identifier = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, "must be lowercase letters, digits and underscores");
const bucket = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid S3 bucket name");

// A whole number from 1, or unset: an empty value is unset.
const optionalCount = z.preprocess(
  (value) => (value === "" ? undefined : value),
  z.coerce.number().int().positive().optional(),
);

// A share from 0 to 1, or unset: an empty value is unset.
const optionalRatio = z.preprocess(
  (value) => (value === "" ? undefined : value),
  z.coerce.number().min(0).max(1).optional(),
);

const schema = z.object({
  LAKEHOUSE_BIND_HOST: z.string().default("127.0.0.1"),
  ...(Object.fromEntries(
    Object.entries(PORT_DEFAULTS).map(([name, value]) => [name, port.default(value)]),
  ) as { [K in PortName]: z.ZodDefault<typeof port> }),
  POSTGRES_USER: identifier.default("lakehouse"),
  POSTGRES_PASSWORD: secret,
  VALKEY_PASSWORD: secret,
  S3_ACCESS_KEY: secret,
  S3_SECRET_KEY: secret,
  // Non-AWS S3 needs one fixed region everywhere (Trino, the catalog, boto3, pyarrow).
  S3_REGION: z.string().default("us-east-1"),
  LAKEHOUSE_BUCKET: bucket.default("lakehouse"),
  LAKEHOUSE_WAREHOUSE_BUCKET: bucket.default("lakehouse-warehouse"),
  LAKEHOUSE_SCHEMA: identifier.default("lakehouse"),
  // Unset: from the machine's memory (trinoHeapFor). Query memory follows from the heap.
  TRINO_HEAP: z.string().regex(JVM_SIZE, "must be a JVM heap size such as 2G or 1536M").optional(),
  // Disk one Trino node may fill with spilled query data, in Trino's size format.
  TRINO_MAX_SPILL_PER_NODE: z
    .string()
    .regex(/^\d+(MB|GB|TB)$/, "must be a size such as 20GB or 500MB")
    .default("20GB"),
  ICEBERG_REST_HEAP: z
    .string()
    .regex(JVM_SIZE, "must be a JVM heap size such as 512M")
    .default("512M"),
  LAKEHOUSE_START_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(180),
  AIRFLOW_FERNET_KEY: secret,
  AIRFLOW_API_SECRET: secret,
  AIRFLOW_ADMIN_PASSWORD: secret,
  SUPERSET_SECRET_KEY: secret,
  SUPERSET_ADMIN_PASSWORD: secret,
  // How long Superset caches query results: how stale a dashboard may be after a load.
  SUPERSET_DATA_CACHE_SECONDS: z.coerce.number().int().nonnegative().default(60),
  // Tasks one Celery worker runs at once. Loads queue in their own pool of one either way.
  AIRFLOW_WORKER_CONCURRENCY: z.coerce.number().int().positive().default(2),
  // How long Iceberg keeps old snapshots and unreferenced files (Trino's minimum is 7d).
  LAKEHOUSE_SNAPSHOT_RETENTION: z
    .string()
    .regex(/^\d+(ms|s|m|h|d)$/, "must be a duration such as 7d or 12h")
    .default("7d"),
  // A table past either is compacted or expired after its load; unset: the loader's
  // defaults (lakehouse_loader/config.py), which a table's contract may override.
  // (Compose passes an unset one as empty.)
  LAKEHOUSE_COMPACT_AT_SMALL_FILES: optionalCount,
  LAKEHOUSE_EXPIRE_AT_SNAPSHOTS: optionalCount,
  LAKEHOUSE_MAX_REJECT_RATIO: optionalRatio,
  // Set only inside the compose network (docker-compose.yml): addresses are then
  // container names (src/services/addresses.ts), and the stack is docker mode's.
  LAKEHOUSE_VIEW: z.enum(["host", "container"]).default("host"),
});

export interface Settings {
  bindHost: string;
  /** Where this process runs, for the address book: the host or the compose network. */
  view: "host" | "container";
  ports: Record<PortName, number>;
  postgres: { user: string; password: Secret; catalogDatabase: string };
  valkey: { password: Secret };
  s3: {
    accessKey: Secret;
    secretKey: Secret;
    region: string;
    bucket: string;
    warehouseBucket: string;
  };
  /** heap: TRINO_HEAP, else sized from the machine; maxSpillPerNode as Trino writes sizes. */
  trino: { heap: string; maxSpillPerNode: string; catalog: string; schema: string };
  icebergRest: { heap: string };
  airflow: {
    fernetKey: Secret;
    apiSecret: Secret;
    adminUser: string;
    adminPassword: Secret;
    workerConcurrency: number;
  };
  superset: {
    secretKey: Secret;
    adminUser: string;
    adminPassword: Secret;
    dataCacheSeconds: number;
  };
  snapshotRetention: string;
  /** The share of a file's rows that may be quarantined before the file fails (unset: the loader's default). */
  maxRejectRatio?: number;
  /** The loader's table-health thresholds, as `.env` sets them (unset: its defaults). */
  tableHealth: { compactAtSmallFiles?: number; expireAtSnapshots?: number };
  startTimeoutMs: number;
  paths: { root: string; cache: string; state: string; data: string; envFile: string };
}

type Env = Record<string, string | undefined>;

/**
 * The variables that make a child `lakehouse` process (one Airflow starts, say) load these
 * same settings: where .env and the state are, and everything `loadSettings` may have taken
 * from the environment rather than from .env.
 */
export function settingsEnv(s: Settings): Record<string, string> {
  return {
    LAKEHOUSE_ENV_FILE: s.paths.envFile,
    LAKEHOUSE_HOME: s.paths.state,
    LAKEHOUSE_CACHE_DIR: s.paths.cache,
    LAKEHOUSE_DATA_DIR: s.paths.data,
    LAKEHOUSE_BIND_HOST: s.bindHost,
    LAKEHOUSE_SCHEMA: s.trino.schema,
    LAKEHOUSE_BUCKET: s.s3.bucket,
    LAKEHOUSE_WAREHOUSE_BUCKET: s.s3.warehouseBucket,
    ...Object.fromEntries(Object.entries(s.ports).map(([name, port]) => [name, String(port)])),
  };
}

export class SettingsError extends Error {}

const ENV_HEADER = `# Lakehouse Orchestrator settings for this install.
# Generated on first run with random secrets: keep it private, never commit it.
# Any variable in README's configuration table can be set here, e.g. TRINO_PORT=8083.
`;

/**
 * Reads settings from the process environment overlaid on `.env` (the environment wins).
 * With `createSecrets`, a missing `.env` is created and missing secrets generated first.
 * `totalMemory` (bytes; os.totalmem() by default) sizes Trino's heap when TRINO_HEAP is unset.
 */
export function loadSettings(
  options: { env?: Env; createSecrets?: boolean; totalMemory?: number } = {},
): Settings {
  const env = options.env ?? process.env;
  const file = envFile(env);
  if (options.createSecrets ?? true)
    ensureSecrets(file, GENERATED_SECRETS, ENV_HEADER, SECRET_FORMS);
  let fromFile: Record<string, string> = {};
  if (existsSync(file)) {
    try {
      fromFile = parseDotenv(readFileSync(file, "utf8"));
    } catch (error) {
      throw new SettingsError(`${file}: ${(error as Error).message}`);
    }
  }
  const merged: Env = { ...fromFile };
  for (const [key, value] of Object.entries(env)) if (value !== undefined) merged[key] = value;

  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path.join(".");
      const where = name in env ? "the environment" : file;
      return `  ${name} (from ${where}): ${issue.message}`;
    });
    throw new SettingsError(`Invalid settings:\n${problems.join("\n")}`);
  }
  const s = parsed.data;
  const ports = Object.fromEntries(
    Object.keys(PORT_DEFAULTS).map((name) => [name, s[name as PortName]]),
  ) as Record<PortName, number>;
  const duplicates = Object.entries(ports).filter(([, p], i, all) =>
    all.some(([, other], j) => j !== i && other === p),
  );
  if (duplicates.length > 0) {
    throw new SettingsError(
      `Two services cannot share a port: ${duplicates.map(([n, p]) => `${n}=${p}`).join(", ")}`,
    );
  }
  return {
    bindHost: s.LAKEHOUSE_BIND_HOST,
    view: s.LAKEHOUSE_VIEW,
    ports,
    postgres: { user: s.POSTGRES_USER, password: s.POSTGRES_PASSWORD, catalogDatabase: "iceberg" },
    valkey: { password: s.VALKEY_PASSWORD },
    s3: {
      accessKey: s.S3_ACCESS_KEY,
      secretKey: s.S3_SECRET_KEY,
      region: s.S3_REGION,
      bucket: s.LAKEHOUSE_BUCKET,
      warehouseBucket: s.LAKEHOUSE_WAREHOUSE_BUCKET,
    },
    trino: {
      heap: s.TRINO_HEAP ?? trinoHeapFor(options.totalMemory ?? totalmem()),
      maxSpillPerNode: s.TRINO_MAX_SPILL_PER_NODE,
      catalog: "iceberg",
      schema: s.LAKEHOUSE_SCHEMA,
    },
    icebergRest: { heap: s.ICEBERG_REST_HEAP },
    airflow: {
      fernetKey: s.AIRFLOW_FERNET_KEY,
      apiSecret: s.AIRFLOW_API_SECRET,
      adminUser: "admin",
      adminPassword: s.AIRFLOW_ADMIN_PASSWORD,
      workerConcurrency: s.AIRFLOW_WORKER_CONCURRENCY,
    },
    superset: {
      secretKey: s.SUPERSET_SECRET_KEY,
      adminUser: "admin",
      adminPassword: s.SUPERSET_ADMIN_PASSWORD,
      dataCacheSeconds: s.SUPERSET_DATA_CACHE_SECONDS,
    },
    snapshotRetention: s.LAKEHOUSE_SNAPSHOT_RETENTION,
    maxRejectRatio: s.LAKEHOUSE_MAX_REJECT_RATIO,
    tableHealth: {
      compactAtSmallFiles: s.LAKEHOUSE_COMPACT_AT_SMALL_FILES,
      expireAtSnapshots: s.LAKEHOUSE_EXPIRE_AT_SNAPSHOTS,
    },
    startTimeoutMs: s.LAKEHOUSE_START_TIMEOUT_SECONDS * 1000,
    paths: {
      root: projectRoot,
      cache: cacheDir(env),
      state: stateDir(env),
      data: dataDir(env),
      envFile: file,
    },
  };
}
