import { execFile } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { inject } from "vitest";
import { AirflowClient } from "../../src/airflow/client.ts";
import { INGEST_DAG } from "../../src/airflow/ingest-via-airflow.ts";
import { loadSettings, PORT_DEFAULTS, type Settings } from "../../src/config/settings.ts";
import { installedTools } from "../../src/install/installer.ts";
import { composeArgs, composeEnv } from "../../src/runtime/docker/compose.ts";
import { airflowEnv } from "../../src/runtime/native/airflow.ts";
import { processTree, Supervisor } from "../../src/runtime/native/supervisor.ts";
import type { ServiceStatus } from "../../src/runtime/runtime.ts";
import { findService } from "../../src/services/catalogue.ts";

const root = resolve(import.meta.dirname, "../..");
const execFileAsync = promisify(execFile);

/**
 * The runtime the integration suite runs against: the same test files serve both, and
 * vitest's projects choose (vitest.config.ts). Docker mode's stack is the compose project
 * `lakehouse-test`, so a developer's own `lakehouse` containers and volumes are left alone.
 */
export const RUNTIME: "native" | "docker" =
  process.env.LAKEHOUSE_TEST_RUNTIME === "docker" ? "docker" : "native";
const COMPOSE_PROJECT = "lakehouse-test";

/** Polls `probe` until it returns a value, or fails the test after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Commands that act on one stack: the harness always names its runtime. */
const STACK_COMMANDS = new Set([
  ...["up", "down", "status", "logs", "reset", "dashboards", "backup", "restore"],
]);

/**
 * An isolated install for tests: its own state folder, .env and ports (the defaults
 * + 20000 natively, + 22000 in docker mode), so tests never touch a stack a developer
 * runs on the default ports. The install cache is shared, as it would be on a real machine.
 *
 * Its folder is in the run's stacks folder (stacks-folder.ts), where `up` first stops any
 * other stack of the run: one stack at a time on two cores, whatever order files run in.
 */
export class TestStack {
  readonly dir: string;
  readonly env: Record<string, string>;
  /** Shared by the files of a group (sharedStack): left running when a file ends. */
  readonly shared: boolean;

  constructor(overrides: Record<string, string> = {}, at?: { dir: string; shared: boolean }) {
    this.dir = at?.dir ?? mkdtempSync(join(stacksFolder(), "stack-"));
    this.shared = at?.shared ?? false;
    mkdirSync(this.dir, { recursive: true });
    // mkdtemp makes a private folder; PostgreSQL's own account must traverse it.
    chmodSync(this.dir, 0o755);
    // Docker's host ports never meet native mode's (nor SeaweedFS's gRPC ports, +10000).
    const offset = RUNTIME === "docker" ? 22_000 : 20_000;
    const ports = Object.fromEntries(
      Object.entries(PORT_DEFAULTS).map(([name, port]) => [name, String(port + offset)]),
    );
    this.env = {
      LAKEHOUSE_HOME: join(this.dir, "state"),
      LAKEHOUSE_ENV_FILE: join(this.dir, ".env"),
      LAKEHOUSE_DATA_DIR: join(this.dir, "data"),
      ...(RUNTIME === "docker" ? { COMPOSE_PROJECT_NAME: COMPOSE_PROJECT } : {}),
      ...ports,
      ...overrides,
    };
    // Docker mode mounts the data folder, which must exist.
    mkdirSync(join(this.dir, "data", "raw"), { recursive: true });
  }

  /**
   * `up`, unless this shared stack is up already (an earlier file of its group started
   * it; `up` again would land every file that file left in data/raw/ once more).
   */
  async start(): Promise<void> {
    if (this.shared && existsSync(join(this.dir, UP_MARKER))) return;
    await this.ok(["up"]);
  }

  /** At a file's end: a stack of its own is destroyed, a shared one left to its group. */
  async release(): Promise<void> {
    if (!this.shared) await this.destroy();
  }

  settings(): Settings {
    return loadSettings({ env: { ...process.env, ...this.env } });
  }

  /** Runs `./lakehouse ARGS` and returns its exit code and output; never throws. */
  async run(
    args: string[],
    extraEnv: Record<string, string> = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const [command] = args;
    const named = args.includes("--native") || args.includes("--docker");
    const full =
      command && STACK_COMMANDS.has(command) && !named ? [...args, `--${RUNTIME}`] : args;
    if (command === "up") {
      await stopOtherStacks(this.dir);
      const marker: UpMarker = { runtime: RUNTIME, env: this.env };
      writeFileSync(join(this.dir, UP_MARKER), JSON.stringify(marker));
    }
    return new Promise((done) => {
      execFile(
        join(root, "lakehouse"),
        full,
        {
          env: { ...process.env, ...this.env, ...extraEnv },
          maxBuffer: 64 * 1024 * 1024,
          timeout: 20 * 60_000,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
          done({ code, stdout, stderr });
        },
      );
    });
  }

  /** Like run, but fails the test with the command's output when it exits non-zero. */
  async ok(args: string[]): Promise<{ stdout: string; stderr: string }> {
    const result = await this.run(args);
    if (result.code !== 0) {
      throw new Error(
        `lakehouse ${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`,
      );
    }
    return result;
  }

  /** Pauses `csv_to_iceberg`, so files written into data/raw/ are loaded only when asked. */
  async pauseScheduledIngest(): Promise<void> {
    const airflow = new AirflowClient(this.settings());
    await airflow.waitForDag(INGEST_DAG);
    await airflow.request("PATCH", `/api/v2/dags/${INGEST_DAG}`, { is_paused: true });
  }

  /**
   * Kills the Celery worker as its machine or container dying would: the worker and every
   * process under it, the running task included.
   */
  async killWorker(): Promise<void> {
    if (RUNTIME === "docker") {
      // Everything in the container but its init, which then exits with the worker: a
      // crash, which the restart policy answers (a `docker kill` would count as a stop).
      await execFileAsync("docker", [
        ...["exec", "lakehouse-airflow-worker", "sh", "-c", "kill -KILL -1"],
      ]).catch(() => undefined);
      return;
    }
    const worker = new Supervisor(this.settings().paths.state).runningPid("airflow-worker");
    if (worker === undefined) throw new Error("no airflow-worker is running");
    for (const pid of processTree(worker)) process.kill(pid, "SIGKILL");
  }

  /**
   * SIGKILLs the service's main process, as a crash would: natively the process its keeper
   * started, in docker mode the container's first process (from the host, so Docker sees a
   * crash, not a stop). Returns the restarts counted before.
   */
  async killService(name: string): Promise<number> {
    const before = (await this.statuses()).find((x) => x.service === name)?.restarts ?? 0;
    let pid: number | undefined;
    if (RUNTIME === "docker") {
      const { stdout } = await execFileAsync("docker", [
        ...["inspect", "--format", "{{.State.Pid}}", findService(name).containerName],
      ]);
      pid = Number(stdout.trim()) || undefined;
    } else pid = new Supervisor(this.settings().paths.state).runningPid(name);
    if (pid === undefined) throw new Error(`${name} is not running`);
    process.kill(pid, "SIGKILL");
    return before;
  }

  /** Waits until the service is healthy again after more than `restartsBefore` restarts. */
  async serviceBack(name: string, restartsBefore: number, timeoutMs = 600_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = (await this.statuses()).find((x) => x.service === name);
      const restarts = status?.restarts ?? 0;
      if (status?.health === "healthy" && restarts > restartsBefore) return restarts;
      if (Date.now() > deadline) throw new Error(`${name} is not back: ${JSON.stringify(status)}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  /**
   * The worker back after killWorker, started again by the restart policy: natively the
   * service's keeper, in docker mode Compose's. Waits until it is healthy again and returns
   * how many times it has been restarted.
   */
  async workerBack(): Promise<number> {
    const deadline = Date.now() + 300_000;
    for (;;) {
      const worker = (await this.statuses()).find((x) => x.service === "airflow-worker");
      const restarts = worker?.restarts ?? 0;
      if (worker?.health === "healthy" && restarts > 0) return restarts;
      if (Date.now() > deadline)
        throw new Error(`the worker is not back: ${JSON.stringify(worker)}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  /** `lakehouse status --json`: every service's state, health and restarts. */
  async statuses(): Promise<ServiceStatus[]> {
    const { stdout } = await this.run(["status", "--json"]);
    return JSON.parse(stdout) as ServiceStatus[];
  }

  /** Runs a Python script where Airflow's processes run; resolves with its stdout. */
  async airflowPython(script: string): Promise<string> {
    if (RUNTIME === "docker") {
      const { stdout } = await execFileAsync(
        "docker",
        ["exec", "lakehouse-airflow-worker", "python", "-c", script],
        { maxBuffer: 16 * 1024 * 1024 },
      );
      return stdout;
    }
    const s = this.settings();
    const { stdout } = await execFileAsync(installedTools(s.paths.cache).python, ["-c", script], {
      env: { ...process.env, ...airflowEnv(s) },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  }

  /** Runs `docker compose ARGS` on this stack's project; resolves with its stdout. */
  async compose(args: string[]): Promise<string> {
    const s = this.settings();
    const { stdout } = await execFileAsync("docker", composeArgs(s, ...args), {
      env: { ...composeEnv(s), ...this.env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  }

  /** Where the DAG files are, as Airflow's processes see them. */
  dagsFolder(): string {
    return RUNTIME === "docker" ? "/opt/lakehouse/airflow/dags" : join(root, "airflow", "dags");
  }

  async destroy(): Promise<void> {
    await stopStack(this.dir, { runtime: RUNTIME, env: this.env });
  }
}

/** In a stack's folder while it may be running: how to stop it. */
const UP_MARKER = "up.json";
type UpMarker = { runtime: "native" | "docker"; env: Record<string, string> };

/**
 * The run's folder of stacks, made by stacks-folder.ts (vitest's globalSetup), which stops
 * what is still running there when the run ends. Outside such a run (a bench), a new one.
 */
function stacksFolder(): string {
  let folder: string | undefined;
  try {
    folder = inject("stacksFolder");
  } catch {
    folder = undefined; // not inside a vitest run
  }
  return folder ?? mkdtempSync(join(tmpdir(), "lakehouse-it-"));
}

/**
 * The stack the files of `group` share: each file starts it if no earlier file did
 * (`start`), and leaves it running for the next (`release`). Starting a stack takes
 * minutes, so files that need no stack to themselves share one; the order files run in
 * (test-order.ts) keeps each group's files together. A group's files must not depend on
 * a fresh stack, only on their own tables and files.
 */
export function sharedStack(group: string): TestStack {
  return new TestStack({}, { dir: join(stacksFolder(), `shared-${group}`), shared: true });
}

/**
 * Stops every stack of the run but `keep`: two stacks never run at once (and in docker
 * mode they are one Compose project, lakehouse-test). Docker mode's are reset: their
 * volumes go too.
 */
export async function stopOtherStacks(keep: string | undefined, folder = stacksFolder()) {
  if (!existsSync(folder)) return;
  for (const name of readdirSync(folder)) {
    const dir = join(folder, name);
    if (dir === keep || !existsSync(join(dir, UP_MARKER))) continue;
    await stopStack(dir, JSON.parse(readFileSync(join(dir, UP_MARKER), "utf8")) as UpMarker);
  }
}

/**
 * Stops a test stack and removes its folder. Docker mode's containers and volumes go too
 * (`reset`), so the next stack starts afresh.
 */
async function stopStack(dir: string, { runtime, env }: UpMarker): Promise<void> {
  const args = runtime === "docker" ? ["reset", "--yes", "--docker"] : ["down", "--native"];
  await execFileAsync(join(root, "lakehouse"), args, {
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error) => console.error(`stopping the test stack in ${dir}: ${error}`));
  rmSync(dir, { recursive: true, force: true });
}
