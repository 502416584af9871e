import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Settings } from "../../config/settings.ts";
import { trinoMemoryEnv } from "../../config/trino-memory.ts";
import { CATALOGUE } from "../../services/catalogue.ts";
import { clockTime, type ServiceStatus } from "../runtime.ts";

/**
 * Docker mode: `docker compose` over the repo's docker-compose.yml with this install's
 * .env, whichever folder that lives in (LAKEHOUSE_ENV_FILE).
 */
export function composeArgs(s: Settings, ...command: string[]): string[] {
  return [
    "compose",
    "--project-directory",
    s.paths.root,
    "--file",
    join(s.paths.root, "docker-compose.yml"),
    "--env-file",
    s.paths.envFile,
    ...command,
  ];
}

/**
 * What docker-compose.yml reads from the environment besides .env: which .env and data
 * folder the Airflow containers mount (the CLI's refresh reads the same .env), the user
 * they run as, so files they write into data/ are yours, and Trino's heap and query
 * memory, the values native mode gives its Trino (sized here, from this machine, when
 * .env sets no TRINO_HEAP).
 */
export function composeEnv(s: Settings): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...trinoMemoryEnv(s),
    LAKEHOUSE_ENV_FILE: s.paths.envFile,
    LAKEHOUSE_DATA_DIR: s.paths.data,
    AIRFLOW_UID: process.env.AIRFLOW_UID ?? String(process.getuid?.() ?? 50000),
  };
}

/** Runs `docker compose …` with its own progress output on the terminal; resolves to its exit code. */
export function compose(s: Settings, ...command: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("docker", composeArgs(s, ...command), {
      stdio: "inherit",
      env: composeEnv(s),
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve(code ?? 1));
  });
}

/** The services of docker-compose.yml as Compose resolves them (`docker compose config`). */
export function composeServices(
  s: Settings,
): Record<string, { image?: string; build?: unknown; profiles?: string[] }> {
  const config = execFileSync(
    "docker",
    composeArgs(s, "--profile", "scale", "config", "--format", "json"),
    { env: composeEnv(s), encoding: "utf8", timeout: 30_000 },
  );
  return JSON.parse(config).services ?? {};
}

/** What docker mode lacks here, or undefined when an engine and the compose plugin answer. */
export function composeAvailable(): string | undefined {
  const answers = (...args: string[]) => {
    try {
      execFileSync("docker", args, { stdio: "ignore", timeout: 10_000 });
      return true;
    } catch {
      return false;
    }
  };
  if (!answers("compose", "version"))
    return "the Docker Compose plugin (`docker compose version` fails)";
  if (!answers("info")) return "a running Docker engine (`docker info` fails)";
  return undefined;
}

/**
 * The compose project's name, as Compose takes it: COMPOSE_PROJECT_NAME, else the `name:`
 * of docker-compose.yml.
 */
export function composeProjectName(s: Settings): string {
  const named = /^name:\s*["']?([\w.-]+)/m.exec(
    readFileSync(join(s.paths.root, "docker-compose.yml"), "utf8"),
  );
  return process.env.COMPOSE_PROJECT_NAME || named?.[1] || "lakehouse";
}

/**
 * The services of this project that have a container (`all`: running or not; else
 * running), by Compose's service label. Asked through the plain docker client: the
 * Compose plugin takes 0.4 s to start, most of a native `status`.
 */
export function projectServices(s: Settings, all: boolean): Set<string> {
  try {
    const services = execFileSync(
      "docker",
      [
        "ps",
        ...(all ? ["--all"] : []),
        "--filter",
        `label=com.docker.compose.project=${composeProjectName(s)}`,
        "--format",
        '{{.Label "com.docker.compose.service"}}',
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 10_000 },
    );
    return new Set(services.split("\n").filter((line) => line));
  } catch {
    return new Set(); // no docker client, no engine
  }
}

/** Whether this project's containers exist (running or not): then status, logs and down mean docker mode. */
export function composeProjectExists(s: Settings): boolean {
  return projectServices(s, true).size > 0;
}

function parsePs(psOutput: string): ComposeContainer[] {
  const trimmed = psOutput.trim();
  return trimmed.startsWith("[")
    ? JSON.parse(trimmed)
    : trimmed
        .split("\n")
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line));
}

/** How often Docker's restart policy started a container again, and how it last ended. */
export interface ContainerRestarts {
  restarts: number;
  lastExit?: string;
}

/**
 * Restart counts of the containers in `docker compose ps` output, from `docker inspect`
 * (Compose's report does not carry them), by container name.
 */
export function containerRestarts(psOutput: string): Map<string, ContainerRestarts> {
  const names = parsePs(psOutput).flatMap((c) => (c.Name ? [c.Name] : []));
  if (names.length === 0) return new Map();
  const output = execFileSync(
    "docker",
    [
      "inspect",
      "--format",
      "{{.Name}}\t{{.RestartCount}}\t{{.State.ExitCode}}\t{{.State.FinishedAt}}",
      ...names,
    ],
    { encoding: "utf8", timeout: 30_000 },
  );
  return new Map(
    output
      .trim()
      .split("\n")
      .filter((line) => line)
      .map((line) => {
        const [name = "", count = "0", code = "", finished = ""] = line.split("\t");
        const restarts = Number(count);
        // FinishedAt is the zero time until the container has ended once.
        const ended = restarts > 0 && !finished.startsWith("0001-");
        return [
          name.replace(/^\//, ""),
          ended
            ? { restarts, lastExit: `exited with code ${code} at ${clockTime(finished)}` }
            : { restarts },
        ];
      }),
  );
}

/** What `lakehouse status` shows in docker mode: Compose's report and the restart counts. */
export function dockerStatuses(s: Settings): ServiceStatus[] {
  const ps = composePs(s);
  return composeStatuses(s, ps, containerRestarts(ps));
}

/** The containers as Compose reports them: `docker compose ps --all --format json`. */
export function composePs(s: Settings): string {
  return execFileSync("docker", composeArgs(s, "ps", "--all", "--format", "json"), {
    env: composeEnv(s),
    encoding: "utf8",
    timeout: 30_000,
  });
}

/** One container in `docker compose ps --format json`. */
interface ComposeContainer {
  Service: string;
  Name?: string;
  State: string;
  /** "healthy", "unhealthy", "starting", or "" without a health check. */
  Health?: string;
  Status?: string;
}

/**
 * The catalogue's services in the shape `lakehouse status` prints, from Compose's report
 * (one JSON object per line; Compose before 2.21 printed one array). Containers the
 * catalogue does not list are shown too when running: scaled-out Trino or Celery workers.
 */
export function composeStatuses(
  s: Settings,
  psOutput: string,
  restarts: Map<string, ContainerRestarts> = new Map(),
): ServiceStatus[] {
  const containers = parsePs(psOutput);
  const status = (service: string, container?: ComposeContainer): ServiceStatus => {
    const restarted = container?.Name ? restarts.get(container.Name) : undefined;
    const base = {
      service,
      // What shows its log: the same command in both modes.
      logPath: `./lakehouse logs ${service}`,
      ...(restarted ? { restarts: restarted.restarts } : {}),
      ...(restarted?.lastExit ? { lastExit: restarted.lastExit } : {}),
    };
    if (!container) return { ...base, state: "stopped", health: "-" };
    if (container.State === "restarting")
      return { ...base, state: "restarting", health: "-", detail: container.Status };
    if (container.State !== "running")
      return { ...base, state: "exited", health: "-", detail: container.Status };
    if (container.Health === "healthy") return { ...base, state: "running", health: "healthy" };
    if (!container.Health) return { ...base, state: "running", health: "-" };
    return { ...base, state: "running", health: "unhealthy", detail: container.Status };
  };
  const listed = CATALOGUE.map((service) => ({
    ...status(
      service.name,
      containers.find((c) => c.Service === service.name),
    ),
    url: service.url?.(s),
  }));
  const others = containers
    .filter((c) => c.State === "running" && !CATALOGUE.some((d) => d.name === c.Service))
    .map((c) => status(c.Service, c));
  return [...listed, ...others];
}
