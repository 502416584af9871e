import { spawn } from "node:child_process";
import type { Reporter } from "../../cli/reporter.ts";
import { UserError } from "../../cli/user-error.ts";
import type { Settings } from "../../config/settings.ts";
import { CATALOGUE, findService } from "../../services/catalogue.ts";
import { portTaken, takenPorts } from "../ports.ts";
import { stageBuildCertificates } from "./build-ca.ts";
import { compose, composeAvailable, composeServices, projectServices } from "./compose.ts";

/** Fails with the fix when this machine cannot run docker mode. */
function requireCompose(): void {
  const missing = composeAvailable();
  if (missing)
    throw new UserError(
      `Docker mode needs ${missing}. On Debian: sudo scripts/docker-engine.sh (or ./lakehouse up --native).`,
    );
}

/** Builds docker mode's images from docker/ (cached layers are reused), with Compose's progress. */
export async function buildImages(s: Settings, reporter: Reporter): Promise<void> {
  requireCompose();
  const cas = stageBuildCertificates(s);
  if (cas.length) reporter.info(`Image builds trust this host's added CAs: ${cas.join(", ")}`);
  reporter.info(
    "Building the images that are missing or out of date (the first time: about 15 minutes):",
  );
  const code = await compose(s, "build", ...imageBuilders(s));
  if (code !== 0)
    throw new UserError(`docker compose build failed (exit ${code}); its output is above`);
}

/**
 * One service per image to build: Compose's classic builder (the engine without buildx)
 * otherwise builds an image once for every service that uses it, seven times for Airflow's.
 */
function imageBuilders(s: Settings): string[] {
  const builders = new Map<string, string>();
  for (const [name, service] of Object.entries(composeServices(s)))
    if (service.build && service.image && !service.profiles && !builders.has(service.image))
      builders.set(service.image, name);
  return [...builders.values()];
}

/**
 * Fails before building or starting anything when a port a container is to publish is
 * held by another program: the same line as native mode, not Docker's error after the
 * containers before it have started.
 */
async function assertPortsFree(s: Settings): Promise<void> {
  const running = projectServices(s, false); // a running container holds its own ports
  const wanted = CATALOGUE.filter((service) => !running.has(service.name)).flatMap((service) =>
    service.ports.map(({ setting }) => ({
      service: service.name,
      port: s.ports[setting],
      setting,
    })),
  );
  const taken = await takenPorts(s.bindHost, wanted);
  if (taken.length) throw new UserError(taken.map((t) => portTaken(s.bindHost, t)).join("\n"));
}

/** Builds what is missing and starts every container, each after the health of what it needs. */
export async function startContainers(s: Settings, reporter: Reporter): Promise<number> {
  await assertPortsFree(s);
  await buildImages(s, reporter);
  reporter.info("Starting the containers:");
  const started = Date.now();
  const code = await compose(s, "up", "--detach", "--wait");
  if (code !== 0)
    throw new UserError(
      `docker compose up failed (exit ${code}); see ./lakehouse status and ./lakehouse logs SERVICE`,
    );
  return (Date.now() - started) / 1000;
}

/**
 * Provisions the dashboards where the ingest DAG's refresh runs, in `airflow-worker`: the
 * two then share the provisioning lock (a folder in the Airflow containers' state volume)
 * and reach Superset and Trino by the same addresses.
 */
export async function provisionInNetwork(flags: string[] = []): Promise<void> {
  // Only constant flags are appended to the shell command.
  const command = ["exec $LAKEHOUSE_DASHBOARDS_COMMAND", ...flags].join(" ");
  // `docker exec` on the worker's fixed container name: the same as `docker compose exec -T`
  // without starting the Compose plugin (0.4 s of an unchanged run's 4).
  const worker = findService("airflow-worker").containerName;
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn("docker", ["exec", worker, "sh", "-c", command], { stdio: "inherit" });
    child.once("error", reject);
    child.once("exit", (exitCode) => resolve(exitCode ?? 1));
  });
  if (code !== 0)
    throw new UserError(
      `provisioning the dashboards failed (exit ${code}); see the lines above and: ./lakehouse logs superset`,
    );
}

/** Removes the containers, scaled-out ones too; with `volumes`, every named volume as well. */
export async function removeContainers(s: Settings, volumes = false): Promise<void> {
  const extra = volumes ? ["--volumes", "--remove-orphans"] : [];
  const code = await compose(s, "--profile", "scale", "down", ...extra);
  if (code !== 0) throw new UserError(`docker compose down failed (exit ${code})`);
}
