import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

/** The repository root: tests read only files inside it. */
export const ROOT = join(import.meta.dirname, "..", "..", "..");

export const readRepoFile = (path: string) => readFileSync(join(ROOT, path), "utf8");
export const repoPathExists = (path: string) => existsSync(join(ROOT, path));

export interface Healthcheck {
  test?: string | string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}

export interface BindMount {
  type: string;
  source?: string;
  target: string;
  read_only?: boolean;
  bind?: { create_host_path?: boolean };
}

export interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string; additional_contexts?: Record<string, string> };
  container_name?: string;
  hostname?: string;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string>;
  volumes?: (string | BindMount)[];
  ports?: string[];
  healthcheck?: Healthcheck;
  depends_on?: Record<string, { condition: string }>;
  networks?: string[];
  profiles?: string[];
  restart?: string;
}

export interface ComposeFile {
  name?: string;
  services: Record<string, Service>;
  networks: Record<string, { name?: string; driver?: string }>;
  volumes: Record<string, unknown>;
}

export const COMPOSE_PATH = "docker-compose.yml";
export const composeText = () => readRepoFile(COMPOSE_PATH);

/** Parsed as Compose does: YAML merge keys (`<<: *anchor`) resolved. */
export function loadCompose(text = composeText()): ComposeFile {
  return parse(text, { merge: true }) as ComposeFile;
}

/** One `${...}` of Compose interpolation; `$${...}` is an escaped literal and is skipped. */
export interface Interpolation {
  name: string;
  /** `:-` / `-` (default), `:?` / `?` (required), `:+` / `+` (alternative), or none. */
  operator: string;
  argument: string;
  raw: string;
}

const INTERPOLATION = /(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}/g;

export function interpolations(text: string): Interpolation[] {
  return [...text.matchAll(INTERPOLATION)].map((m) => ({
    name: m[1] ?? "",
    operator: m[2] ?? "",
    argument: m[3] ?? "",
    raw: m[0],
  }));
}

/** A published port as docker-compose.yml must write it: bind host, host-port variable, container port. */
const PUBLISHED = /^\$\{LAKEHOUSE_BIND_HOST:-127\.0\.0\.1\}:\$\{([A-Z0-9_]+):-(\d+)\}:(\d+)$/;

export interface PublishedPort {
  variable: string;
  defaultHostPort: number;
  containerPort: number;
}

export function parsePublishedPort(spec: string): PublishedPort | undefined {
  const m = PUBLISHED.exec(spec);
  if (!m) return undefined;
  return { variable: m[1] ?? "", defaultHostPort: Number(m[2]), containerPort: Number(m[3]) };
}

/** Volumes in one form: named volumes and bind mounts, with source and target. */
export interface Mount {
  kind: "named" | "bind" | "anonymous";
  source: string;
  target: string;
}

export function mounts(service: Service): Mount[] {
  return (service.volumes ?? []).map((v): Mount => {
    if (typeof v !== "string") {
      const source = v.source ?? "";
      const kind = v.type === "bind" ? "bind" : source ? "named" : "anonymous";
      return { kind, source, target: v.target };
    }
    const parts = v.split(":");
    if (parts.length === 1) return { kind: "anonymous", source: "", target: v };
    const [source = "", target = ""] = parts;
    const kind = source.startsWith(".") || source.startsWith("/") ? "bind" : "named";
    return { kind, source, target };
  });
}

export const healthTestText = (h: Healthcheck | undefined) =>
  Array.isArray(h?.test) ? h.test.slice(1).join(" ") : (h?.test ?? "");

/** Long-running services; one-shot services (exit when done) are started with restart "no". */
export const isOneShot = (s: Service) => s.restart === "no";
export const isScaleOut = (s: Service) => (s.profiles ?? []).includes("scale");
