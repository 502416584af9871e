import { join } from "node:path";
import type { PortName, Settings } from "../config/settings.ts";
import { componentDir } from "../install/component.ts";
import { airflowPython } from "../install/components.ts";
import { airflowEnv, CELERY_APP } from "../runtime/native/airflow.ts";
import { hostAddress } from "./addresses.ts";
import { type ReadinessCheck, Wait } from "./wait/index.ts";

/** A port a service listens on: the host side comes from settings, the container side is fixed. */
export interface ServicePort {
  setting: PortName;
  containerPort: number;
  purpose: string;
}

/**
 * One service of the platform, independent of how it runs. Native mode starts it as a
 * local process, docker mode as a container; both use these names, ports, dependencies
 * and readiness checks.
 */
export interface ServiceDefinition {
  /** Compose service name and internal DNS name. */
  name: string;
  containerName: string;
  role: string;
  ports: ServicePort[];
  /** Services that must be ready before this one starts. */
  dependsOn: string[];
  /** Probed from the host, so the same check serves both modes. */
  readiness(settings: Settings): ReadinessCheck;
  /**
   * What `lakehouse status` asks instead, when the readiness check is slow (it starts a
   * process): the same answer from a service already running.
   */
  health?(settings: Settings): ReadinessCheck;
  /** Where a person (or a client) reaches it, for `lakehouse status`. */
  url?(settings: Settings): string;
}

const host = hostAddress;
const http = (s: Settings, port: PortName, path = "") =>
  `http://${host(s)}:${s.ports[port]}${path}`;

/**
 * Airflow's own health report: the metadata database, and whether the scheduler,
 * DAG processor and triggerer have sent a heartbeat lately (`airflow jobs check` reads the
 * same heartbeats, but starts a Python process per probe). None: only the API server.
 */
const airflowHealth = (s: Settings, component?: string) =>
  Wait.forHttp(http(s, "AIRFLOW_PORT", "/api/v2/monitor/health"), {
    body: (text) => {
      const health = JSON.parse(text) as Record<string, { status?: string | null }>;
      return !component || health[component]?.status === "healthy";
    },
  });

/** The Airflow processes all need the database, the broker and Trino (and so S3). */
const AIRFLOW_DEPENDENCIES = ["postgres", "valkey", "trino"];
/** The rest start after the API server, which migrates the database first. */
const AFTER_API_SERVER = [...AIRFLOW_DEPENDENCIES, "airflow-apiserver"];

/** A background Airflow process, healthy while its heartbeat shows in the health report. */
const airflowJob = (name: string, component: string, role: string): ServiceDefinition => ({
  name: `airflow-${name}`,
  containerName: `lakehouse-airflow-${name}`,
  role,
  ports: [],
  dependsOn: AFTER_API_SERVER,
  readiness: (s) => airflowHealth(s, component),
});

export const CATALOGUE: readonly ServiceDefinition[] = [
  {
    name: "postgres",
    containerName: "lakehouse-postgres",
    role: "Metadata store for Airflow, Superset and the Iceberg catalog",
    ports: [{ setting: "POSTGRES_PORT", containerPort: 5432, purpose: "Database client access" }],
    dependsOn: [],
    readiness: (s) =>
      Wait.forCommand("pg_isready", [
        "--host",
        host(s),
        "--port",
        String(s.ports.POSTGRES_PORT),
        "--dbname",
        "postgres",
      ]),
    url: (s) => `postgresql://${s.postgres.user}@${host(s)}:${s.ports.POSTGRES_PORT}/`,
  },
  {
    name: "valkey",
    containerName: "lakehouse-valkey",
    role: "Message broker for the Celery executor",
    ports: [{ setting: "VALKEY_PORT", containerPort: 6379, purpose: "Redis-compatible broker" }],
    dependsOn: [],
    readiness: (s) =>
      Wait.forRedisPing(host(s), s.ports.VALKEY_PORT, () => s.valkey.password.reveal()),
    url: (s) => `redis://${host(s)}:${s.ports.VALKEY_PORT}/0`,
  },
  {
    name: "seaweedfs-master",
    containerName: "lakehouse-seaweedfs-master",
    role: "Object store: volume assignments and topology",
    ports: [
      { setting: "SEAWEEDFS_MASTER_PORT", containerPort: 9333, purpose: "Cluster management UI" },
    ],
    dependsOn: [],
    readiness: (s) => Wait.forHttp(http(s, "SEAWEEDFS_MASTER_PORT", "/cluster/healthz")),
    url: (s) => http(s, "SEAWEEDFS_MASTER_PORT"),
  },
  {
    name: "seaweedfs-volume",
    containerName: "lakehouse-seaweedfs-volume",
    role: "Object store: data blobs",
    ports: [{ setting: "SEAWEEDFS_VOLUME_PORT", containerPort: 8080, purpose: "Volume server" }],
    dependsOn: ["seaweedfs-master"],
    readiness: (s) => Wait.forHttp(http(s, "SEAWEEDFS_VOLUME_PORT", "/healthz")),
    url: (s) => http(s, "SEAWEEDFS_VOLUME_PORT", "/ui/index.html"),
  },
  {
    name: "seaweedfs-filer",
    containerName: "lakehouse-seaweedfs-filer",
    role: "Object store: file-to-chunk metadata",
    ports: [
      {
        setting: "SEAWEEDFS_FILER_PORT",
        containerPort: 8888,
        purpose: "POSIX-like file interface",
      },
    ],
    dependsOn: ["seaweedfs-master", "seaweedfs-volume"],
    readiness: (s) => Wait.forHttp(http(s, "SEAWEEDFS_FILER_PORT", "/healthz")),
    url: (s) => http(s, "SEAWEEDFS_FILER_PORT"),
  },
  {
    name: "seaweedfs-s3",
    containerName: "lakehouse-seaweedfs-s3",
    role: "S3-compatible API for Parquet files and Iceberg metadata",
    ports: [
      { setting: "SEAWEEDFS_S3_PORT", containerPort: 8333, purpose: "S3-compatible API endpoint" },
    ],
    dependsOn: ["seaweedfs-filer"],
    readiness: (s) => Wait.forHttp(http(s, "SEAWEEDFS_S3_PORT", "/healthz")),
    url: (s) => http(s, "SEAWEEDFS_S3_PORT"),
  },
  {
    name: "iceberg-rest",
    containerName: "lakehouse-iceberg-rest",
    role: "Iceberg REST catalog: table schemas, snapshots and partition specs",
    ports: [
      { setting: "ICEBERG_REST_PORT", containerPort: 8181, purpose: "Iceberg catalog REST API" },
    ],
    dependsOn: ["postgres", "seaweedfs-s3"],
    readiness: (s) => Wait.forHttp(http(s, "ICEBERG_REST_PORT", "/v1/config")),
    url: (s) => http(s, "ICEBERG_REST_PORT", "/v1/config"),
  },
  {
    name: "trino",
    containerName: "lakehouse-trino",
    role: "SQL query engine over the Iceberg tables",
    ports: [{ setting: "TRINO_PORT", containerPort: 8080, purpose: "SQL query endpoint and UI" }],
    dependsOn: ["iceberg-rest", "seaweedfs-s3"],
    readiness: (s) =>
      Wait.forHttp(http(s, "TRINO_PORT", "/v1/info"), {
        body: (text) => (JSON.parse(text) as { starting?: boolean }).starting === false,
      }),
    url: (s) => http(s, "TRINO_PORT", "/ui/"),
  },
  {
    name: "airflow-apiserver",
    containerName: "lakehouse-airflow-webserver",
    role: "Airflow's web UI and REST API",
    ports: [{ setting: "AIRFLOW_PORT", containerPort: 8080, purpose: "Airflow UI and REST API" }],
    dependsOn: AIRFLOW_DEPENDENCIES,
    readiness: (s) => airflowHealth(s),
    url: (s) => http(s, "AIRFLOW_PORT"),
  },
  airflowJob("scheduler", "scheduler", "Airflow scheduler: starts DAG runs and queues their tasks"),
  airflowJob("dag-processor", "dag_processor", "Airflow DAG processor: parses the DAG files"),
  airflowJob("triggerer", "triggerer", "Airflow triggerer: runs deferred tasks"),
  {
    name: "airflow-worker",
    containerName: "lakehouse-airflow-worker",
    role: "Celery worker: runs the tasks (CSV loads)",
    ports: [],
    dependsOn: AFTER_API_SERVER,
    // The worker answers a broadcast ping through the broker once it consumes tasks.
    readiness: (s) =>
      Wait.forCommand(
        join(componentDir(s.paths.cache, airflowPython), "bin", "python"),
        ["-m", "celery", "--app", CELERY_APP, "inspect", "ping", "--timeout", "5"],
        { env: airflowEnv(s), stdout: /pong/, timeoutMs: 30_000 },
      ),
    // Flower knows from the workers' heartbeats (events) whether they are alive: no process
    // to start (celery's ping costs 2-4 s). A worker it does not see as alive, or no Flower,
    // gets the ping above.
    health: (s) => {
      const flower = Wait.forHttp(http(s, "FLOWER_PORT", "/api/workers?status=1"), {
        headers: {
          authorization: `Basic ${Buffer.from(`${s.airflow.adminUser}:${s.airflow.adminPassword.reveal()}`).toString("base64")}`,
        },
        body: (text) => Object.values(JSON.parse(text) as Record<string, unknown>).includes(true),
      });
      const ping = findService("airflow-worker").readiness(s);
      return {
        description: `${flower.description}, else ${ping.description}`,
        async probe() {
          const answer = await flower.probe();
          return answer.ready ? answer : ping.probe();
        },
      };
    },
  },
  {
    name: "airflow-flower",
    containerName: "lakehouse-airflow-flower",
    role: "Flower: Celery workers and task queues",
    ports: [{ setting: "FLOWER_PORT", containerPort: 5555, purpose: "Celery monitoring UI" }],
    dependsOn: ["valkey", "airflow-apiserver"],
    // It asks for the Airflow login: 401 means it is serving.
    readiness: (s) => Wait.forHttp(http(s, "FLOWER_PORT", "/"), { statuses: [200, 401] }),
    url: (s) => http(s, "FLOWER_PORT"),
  },
  {
    name: "superset",
    containerName: "lakehouse-superset",
    role: "Dashboards over the Iceberg tables, through Trino",
    ports: [{ setting: "SUPERSET_PORT", containerPort: 8088, purpose: "Dashboards and REST API" }],
    dependsOn: ["postgres", "valkey", "trino"],
    readiness: (s) => Wait.forHttp(http(s, "SUPERSET_PORT", "/health")),
    url: (s) => http(s, "SUPERSET_PORT"),
  },
];

export function findService(name: string): ServiceDefinition {
  const service = CATALOGUE.find((s) => s.name === name);
  if (!service) {
    throw new Error(`Unknown service "${name}". Known: ${CATALOGUE.map((s) => s.name).join(", ")}`);
  }
  return service;
}

/** Services in an order where each comes after everything it depends on. */
export function startOrder(
  services: readonly ServiceDefinition[] = CATALOGUE,
): ServiceDefinition[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const ordered: ServiceDefinition[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (service: ServiceDefinition, path: string[]) => {
    if (state.get(service.name) === "done") return;
    if (state.get(service.name) === "visiting") {
      throw new Error(`Dependency cycle: ${[...path, service.name].join(" -> ")}`);
    }
    state.set(service.name, "visiting");
    for (const dep of service.dependsOn) {
      const target = byName.get(dep);
      if (!target) throw new Error(`${service.name} depends on unknown service "${dep}"`);
      visit(target, [...path, service.name]);
    }
    state.set(service.name, "done");
    ordered.push(service);
  };
  for (const service of services) visit(service, []);
  return ordered;
}
