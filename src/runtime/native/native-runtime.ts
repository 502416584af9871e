import { existsSync, readFileSync } from "node:fs";
import type { Reporter } from "../../cli/reporter.ts";
import type { Settings } from "../../config/settings.ts";
import { installedTools } from "../../install/installer.ts";
import { CATALOGUE, type ServiceDefinition, startOrder } from "../../services/catalogue.ts";
import { waitUntilReady } from "../../services/wait/index.ts";
import { ReadinessAborted, ReadinessTimeout } from "../../services/wait/until.ts";
import { portTaken, takenPorts } from "../ports.ts";
import { clockTime, ServiceStartError, type ServiceStatus } from "../runtime.ts";
import type { ProcessSpec } from "./process-spec.ts";
import { nativeProcesses, STOP_SIGNALS } from "./processes.ts";
import { describeExit, Supervisor } from "./supervisor.ts";

/** The last lines of a log file, for error messages. */
export function tail(path: string, lines = 20): string {
  if (!existsSync(path)) return "";
  return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
}

/**
 * Runs the catalogue's services as local processes: each starts as soon as everything
 * it depends on is ready, so independent services (the two JVMs) start side by side.
 */
export class NativeRuntime {
  readonly supervisor: Supervisor;

  constructor(
    private readonly settings: Settings,
    private readonly reporter: Reporter,
    private readonly services: readonly ServiceDefinition[] = CATALOGUE,
  ) {
    this.supervisor = new Supervisor(settings.paths.state);
  }

  logPath(service: string): string {
    return this.supervisor.logPath(service);
  }

  async up(): Promise<void> {
    const specs = nativeProcesses(this.settings, installedTools(this.settings.paths.cache));
    const toStart = this.services.filter((s) => !this.supervisor.isManaged(s.name));
    await this.assertPortsFree(toStart, specs);

    const readyBy = new Map<string, Promise<void>>();
    let failed = false;
    const bringUp = async (service: ServiceDefinition): Promise<void> => {
      await Promise.all(service.dependsOn.map((dep) => readyBy.get(dep)));
      if (failed) throw new Error(`${service.name} not started: a dependency failed`);
      try {
        await this.startOne(service, specs[service.name] as ProcessSpec);
      } catch (error) {
        failed = true;
        throw error;
      }
    };
    for (const service of startOrder(this.services)) readyBy.set(service.name, bringUp(service));
    // Report the service that failed, not the dependents that were then not started.
    const failures = (await Promise.allSettled(readyBy.values()))
      .filter((r): r is PromiseRejectedResult => r.status === "rejected")
      .map((r) => r.reason as Error);
    const cause = failures.find((e) => e instanceof ServiceStartError) ?? failures[0];
    if (cause) throw cause;
  }

  private async startOne(service: ServiceDefinition, spec: ProcessSpec): Promise<void> {
    const log = this.logPath(service.name);
    const check = service.readiness(this.settings);
    if (this.supervisor.isManaged(service.name)) {
      // Already running, or being restarted by its keeper (a second `up`): only make sure
      // it is ready.
      await waitUntilReady(check, { timeoutMs: this.settings.startTimeoutMs });
      this.reporter.info(`✓ ${service.name}: already running`);
      return;
    }
    const done = this.reporter.step(`Starting ${service.name}`);
    try {
      await spec.prepare?.();
    } catch (error) {
      throw new ServiceStartError(
        service.name,
        `${service.name}: preparation failed: ${(error as Error).message}`,
        log,
      );
    }
    const started = this.supervisor.start(service.name, spec, service.dependsOn);
    try {
      await waitUntilReady(check, {
        timeoutMs: this.settings.startTimeoutMs,
        abort: () => {
          const exit = started.exit();
          return exit && describeExit(exit);
        },
      });
    } catch (error) {
      if (error instanceof ReadinessAborted) {
        // Fail the start at once, as before there were restarts: its keeper would try again.
        await this.supervisor.stop(service.name, STOP_SIGNALS[service.name], 5000);
        throw new ServiceStartError(
          service.name,
          `${service.name} ${error.message} while starting. See its log: ${log}`,
          log,
          tail(log),
        );
      }
      if (error instanceof ReadinessTimeout) {
        throw new ServiceStartError(
          service.name,
          `${service.name} is not ready after ${this.settings.startTimeoutMs / 1000}s (${error.message}). See its log: ${log}`,
          log,
          tail(log),
        );
      }
      throw error;
    }
    try {
      await spec.afterReady?.();
    } catch (error) {
      throw new ServiceStartError(
        service.name,
        `${service.name}: setup after start failed: ${(error as Error).message}`,
        log,
      );
    }
    done(`ready, pid ${started.pid() ?? "?"}`);
  }

  /** Fails before starting anything when a port we need is taken by another program. */
  private async assertPortsFree(
    services: ServiceDefinition[],
    specs: Record<string, ProcessSpec>,
  ): Promise<void> {
    const host = this.settings.bindHost;
    const wanted = services.flatMap((service) => [
      ...service.ports.map(({ setting }) => ({
        service: service.name,
        port: this.settings.ports[setting],
        setting,
      })),
      ...(specs[service.name]?.extraPorts ?? []).map((port) => ({ service: service.name, port })),
    ]);
    const taken = await takenPorts(host, wanted);
    const [first] = taken;
    if (first) {
      throw new ServiceStartError(first.service, taken.map((t) => portTaken(host, t)).join("\n"));
    }
  }

  async down(): Promise<string[]> {
    const stopped: string[] = [];
    for (const service of startOrder(this.services).reverse()) {
      const done = this.supervisor.runningPid(service.name)
        ? this.reporter.step(`Stopping ${service.name}`)
        : undefined;
      if (await this.supervisor.stop(service.name, STOP_SIGNALS[service.name]))
        stopped.push(service.name);
      done?.("stopped");
    }
    return stopped;
  }

  async status(): Promise<ServiceStatus[]> {
    return Promise.all(
      this.services.map(async (service): Promise<ServiceStatus> => {
        const pid = this.supervisor.runningPid(service.name);
        const keeper = this.supervisor.keeper(service.name);
        const lastExit =
          keeper?.lastExit &&
          `${describeExit(keeper.lastExit)} at ${clockTime(keeper.lastExit.at)}`;
        const base = {
          service: service.name,
          logPath: this.logPath(service.name),
          url: service.url?.(this.settings),
          ...(keeper ? { restarts: keeper.restarts } : {}),
          ...(lastExit ? { lastExit } : {}),
        };
        if (pid === undefined) {
          if (keeper?.alive)
            return {
              ...base,
              state: "restarting",
              health: "-",
              detail: `${lastExit ?? "exited"}; starting again at ${clockTime(keeper.nextStartAt)}`,
            };
          if (keeper?.state === "gave-up")
            return { ...base, state: "failed", health: "-", detail: keeper.reason };
          return { ...base, state: "stopped", health: "-" };
        }
        const result = await (service.health ?? service.readiness)(this.settings).probe();
        return result.ready
          ? { ...base, pid, state: "running", health: "healthy" }
          : { ...base, pid, state: "running", health: "unhealthy", detail: result.reason };
      }),
    );
  }
}
