import { existsSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
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
  pull_policy?: string;
  container_name?: string;
  hostname?: string;
  user?: string;
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
  /** As written: a volume name, a path, or a path with `${VARIABLE:-default}`. */
  source: string;
  target: string;
  readOnly: boolean;
  /** A bind mount's host path with every interpolation replaced by its default. */
  hostPath?: string;
  /** The variables a bind mount's source interpolates (the host path they override). */
  variables: string[];
}

/** `text` as Compose interpolates it: a variable set in `env` wins, else the default. */
export const interpolate = (text: string, env: Record<string, string | undefined>) =>
  text.replace(
    INTERPOLATION,
    (_all, name: string, operator: string | undefined, argument = "") =>
      (Object.hasOwn(env, name) ? env[name] : undefined) ??
      (operator === ":-" || operator === "-" ? argument : ""),
  );

/** Replaces every `${NAME:-default}` (or `${NAME-default}`) by its default, others by "". */
export const withDefaults = (text: string) => interpolate(text, {});

export function mounts(service: Service): Mount[] {
  return (service.volumes ?? []).map((v): Mount => {
    if (typeof v !== "string") {
      const source = v.source ?? "";
      const kind = v.type === "bind" ? "bind" : source ? "named" : "anonymous";
      return describeMount(kind, source, v.target, v.read_only === true);
    }
    // Split on the colons outside `${...}`: a default may hold a path (`${DIR:-./data}`).
    const parts: string[] = [];
    let depth = 0;
    let current = "";
    for (let i = 0; i < v.length; i++) {
      const c = v[i] ?? "";
      if (c === "$" && v[i + 1] === "{") depth++;
      else if (c === "}" && depth > 0) depth--;
      if (c === ":" && depth === 0) {
        parts.push(current);
        current = "";
      } else current += c;
    }
    parts.push(current);
    if (parts.length === 1) return describeMount("anonymous", "", v, false);
    const [source = "", target = "", mode = ""] = parts;
    const host = withDefaults(source);
    const kind = host.startsWith(".") || host.startsWith("/") ? "bind" : "named";
    return describeMount(kind, source, target, mode.split(",").includes("ro"));
  });
}

function describeMount(kind: Mount["kind"], source: string, target: string, readOnly: boolean) {
  const mount: Mount = { kind, source, target, readOnly, variables: [] };
  if (kind === "bind") {
    mount.hostPath = withDefaults(source);
    mount.variables = interpolations(source).map((i) => i.name);
  }
  return mount;
}

/**
 * Where a path inside a container comes from: the bind mount with the longest target that
 * holds it, as a normalized host path relative to the checkout ("versions.env", not
 * "./versions.env"; defaults applied), or undefined when no bind mount holds it.
 */
export function hostPathOf(service: Service, containerPath: string): string | undefined {
  const binds = mounts(service)
    .filter((m) => m.kind === "bind")
    .filter((m) => containerPath === m.target || containerPath.startsWith(`${m.target}/`))
    .sort((a, b) => b.target.length - a.target.length);
  const m = binds[0];
  if (!m?.hostPath) return undefined;
  return posix.normalize(`${m.hostPath}${containerPath.slice(m.target.length)}`);
}

/** A service's entrypoint and command as one text. */
export const commandText = (s: Service) =>
  [s.entrypoint, s.command]
    .flatMap((c) => (c === undefined ? [] : Array.isArray(c) ? c : [c]))
    .join(" ");

/** `service:port` of a compose service named in a text: URLs (any scheme) and bare addresses. */
export interface Address {
  host: string;
  port: number | undefined;
  raw: string;
}

/**
 * Addresses in a compose value. Interpolations are blanked first (their defaults and
 * messages are not addresses) and %-escapes decoded (a URL inside a query string).
 */
export function addressesIn(value: string): Address[] {
  const text = value
    .replace(INTERPOLATION, "VAR")
    .replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
  const found: Address[] = [];
  // scheme://[userinfo@]host[:port]
  for (const m of text.matchAll(/[a-z][a-z0-9+.-]*:\/\/(?:[^@/\s]*@)?([A-Za-z0-9.-]*)(?::(\d+))?/g))
    found.push({ host: m[1] ?? "", port: m[2] ? Number(m[2]) : undefined, raw: m[0] });
  // host:port not inside a URL (a flag's value, a plain setting)
  for (const m of text.matchAll(/(?<![\w.@/:-])([a-z][a-z0-9-]*):(\d+)\b/g))
    found.push({ host: m[1] ?? "", port: Number(m[2]), raw: m[0] });
  return found;
}

export const healthTestText = (h: Healthcheck | undefined) =>
  Array.isArray(h?.test) ? h.test.slice(1).join(" ") : (h?.test ?? "");

/** Long-running services; one-shot services (exit when done) are started with restart "no". */
export const isOneShot = (s: Service) => s.restart === "no";
export const isScaleOut = (s: Service) => (s.profiles ?? []).includes("scale");
