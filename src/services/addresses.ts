import type { PortName, Settings } from "../config/settings.ts";

/**
 * The one address book: where each service is reached, seen from the host (the CLI, the
 * tests, and native mode's processes, which all run there) or from inside the compose
 * network (the containers, and the `lakehouse` CLI that the Airflow image runs). Host
 * ports come from the settings; inside the network a service is its Compose name and a
 * fixed container port. docker-compose.yml spells the container side out for plain
 * `docker compose` users; a unit test keeps it equal to this table.
 */
export const ENDPOINTS = {
  postgres: { port: "POSTGRES_PORT", containerPort: 5432 },
  valkey: { port: "VALKEY_PORT", containerPort: 6379 },
  "seaweedfs-master": { port: "SEAWEEDFS_MASTER_PORT", containerPort: 9333 },
  "seaweedfs-volume": { port: "SEAWEEDFS_VOLUME_PORT", containerPort: 8080 },
  "seaweedfs-filer": { port: "SEAWEEDFS_FILER_PORT", containerPort: 8888 },
  "seaweedfs-s3": { port: "SEAWEEDFS_S3_PORT", containerPort: 8333 },
  "iceberg-rest": { port: "ICEBERG_REST_PORT", containerPort: 8181 },
  trino: { port: "TRINO_PORT", containerPort: 8080 },
  "airflow-apiserver": { port: "AIRFLOW_PORT", containerPort: 8080 },
  "airflow-flower": { port: "FLOWER_PORT", containerPort: 5555 },
  superset: { port: "SUPERSET_PORT", containerPort: 8088 },
} as const satisfies Record<string, { port: PortName; containerPort: number }>;

export type Endpoint = keyof typeof ENDPOINTS;

/** Where this code runs: on the host, or inside the compose network. */
export type View = "host" | "container";

/**
 * The address a client on the host dials: the bind address, except that a service bound
 * to every interface is dialled on loopback.
 */
export function hostAddress(s: Settings): string {
  if (s.bindHost === "0.0.0.0") return "127.0.0.1";
  if (s.bindHost === "::") return "::1";
  return s.bindHost;
}

/** `host:port` of a service, as seen from `view` (by default, where this code runs). */
export function authority(s: Settings, service: Endpoint, view: View = s.view): string {
  const endpoint = ENDPOINTS[service];
  if (view === "container") return `${service}:${endpoint.containerPort}`;
  const host = hostAddress(s);
  return `${host.includes(":") ? `[${host}]` : host}:${s.ports[endpoint.port]}`;
}

/** `http://host:port/path` of a service, as seen from `view`. */
export function httpUrl(s: Settings, service: Endpoint, path = "", view: View = s.view): string {
  return `http://${authority(s, service, view)}${path}`;
}
