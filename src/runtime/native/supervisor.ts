import { spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";
import { projectRoot } from "../../config/paths.ts";
import { isRoot, lookupUser } from "./os-user.ts";
import type { ProcessSpec } from "./process-spec.ts";

interface PidRecord {
  pid: number;
  command: string;
  startedAt: string;
}

/** A service we just started: its process once running, and how it first ended if it has. */
export interface StartedProcess {
  pid(): number | undefined;
  exit(): ServiceExit | undefined;
}

/** How a service's process ended. */
export interface ServiceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when it could not be started at all (e.g. the program is missing). */
  error?: string;
  at: string;
  ranMs: number;
}

/** What the keeper (keeper.mjs) reports about the service it keeps running. */
export interface KeeperState {
  pid: number;
  command: string;
  state: "running" | "restarting" | "gave-up";
  restarts: number;
  lastExit?: ServiceExit;
  nextStartAt?: string;
  /** Why it gave up, naming the log. */
  reason?: string;
}

/** Overrides of the keeper's restart policy (its defaults are in keeper.mjs). */
export interface RestartPolicy {
  firstPauseMs?: number;
  longestPauseMs?: number;
  settledMs?: number;
  giveUpAfter?: number;
}

const KEEPER = join(projectRoot, "src", "runtime", "native", "keeper.mjs");

/** "exited with code 1", "was killed by SIGKILL", "could not be started (…)". */
export function describeExit(exit: ServiceExit): string {
  if (exit.error) return `could not be started (${exit.error})`;
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

/**
 * Starts services as detached local processes that outlive the `lakehouse` command, one
 * log file and one pid file each, and stops them by process group. Each runs under a
 * keeper (keeper.mjs) that restarts it when it exits unasked, as compose's restart policy
 * does for containers. A pid file is trusted only while /proc shows the same program under
 * that pid, so a reused pid after a reboot is never mistaken for our service.
 */
export class Supervisor {
  readonly logDir: string;
  readonly runDir: string;

  constructor(stateDir: string) {
    this.logDir = join(stateDir, "logs");
    this.runDir = join(stateDir, "run");
  }

  logPath(name: string): string {
    return join(this.logDir, `${name}.log`);
  }

  private pidPath(name: string): string {
    return join(this.runDir, `${name}.pid`);
  }

  private keeperPath(name: string): string {
    return join(this.runDir, `${name}.keeper`);
  }

  private stopPath(name: string): string {
    return join(this.runDir, `${name}.stop`);
  }

  /** The pid of the service's process if it is alive. */
  runningPid(name: string): number | undefined {
    const record = readRecord<PidRecord>(this.pidPath(name));
    return record && isSameProgram(record) ? record.pid : undefined;
  }

  /** What the service's keeper last reported; `alive` tells whether it still runs. */
  keeper(name: string): (KeeperState & { alive: boolean }) | undefined {
    const record = readRecord<KeeperState>(this.keeperPath(name));
    return record && { ...record, alive: isSameProgram({ ...record, startedAt: "" }) };
  }

  /** Whether the service is running or its keeper is about to start it again. */
  isManaged(name: string): boolean {
    return this.runningPid(name) !== undefined || this.keeper(name)?.alive === true;
  }

  /**
   * Starts the service under a keeper. `dependsOn`: services whose restart explains a
   * quick exit of this one (it waits for them rather than being given up on).
   */
  start(
    name: string,
    spec: ProcessSpec,
    dependsOn: readonly string[] = [],
    policy?: RestartPolicy,
  ): StartedProcess {
    mkdirSync(this.logDir, { recursive: true });
    mkdirSync(this.runDir, { recursive: true });
    for (const path of [this.pidPath(name), this.keeperPath(name), this.stopPath(name)])
      rmSync(path, { force: true });
    const user = spec.user && isRoot() ? lookupUser(spec.user) : undefined;
    const log = openSync(this.logPath(name), "a");
    const keeper = spawn(process.execPath, [KEEPER], {
      detached: true,
      stdio: ["pipe", log, log],
    });
    closeSync(log);
    let failed: ServiceExit | undefined;
    keeper.on("error", (error) => {
      failed = { code: null, signal: null, error: error.message, at: "", ranMs: 0 };
    });
    keeper.stdin?.end(
      JSON.stringify({
        name,
        runDir: this.runDir,
        logPath: this.logPath(name),
        command: spec.command,
        args: spec.args,
        env: { ...process.env, ...spec.env },
        cwd: spec.cwd,
        ...(user ?? {}),
        dependsOn,
        policy,
      }),
    );
    keeper.unref();
    return {
      pid: () => this.runningPid(name),
      exit: () => {
        if (failed) return failed;
        const state = this.keeper(name);
        if (state?.lastExit) return state.lastExit;
        // A keeper that ended without a word (it could not run at all).
        if (keeper.exitCode !== null && !state?.alive)
          return { code: keeper.exitCode, signal: null, at: "", ranMs: 0 };
        return undefined;
      },
    };
  }

  /** Stops the service: `signal` first, SIGKILL after `timeoutMs`. Returns false if it was not running. */
  async stop(
    name: string,
    signal: NodeJS.Signals = "SIGTERM",
    timeoutMs = 30_000,
  ): Promise<boolean> {
    const pid = this.runningPid(name);
    const keeper = this.keeper(name);
    if (pid === undefined && !keeper?.alive) {
      // Nothing runs (never started, stopped, or its state deleted by `reset`): no stop
      // mark to leave, perhaps no folder to leave it in; only stale records to clear.
      for (const path of [this.pidPath(name), this.keeperPath(name)]) rmSyncQuiet(path);
      return false;
    }
    // First, so that the keeper takes the exit that follows for a stop, not a crash.
    writeFileSync(this.stopPath(name), "");
    if (keeper?.alive) signalGroup(keeper.pid, "SIGTERM");
    rmSyncQuiet(this.pidPath(name));
    if (pid !== undefined) {
      // Taken before signalling: once their parent is gone, orphans are re-parented away.
      const tree = processTree(pid);
      signalGroup(pid, signal);
      const deadline = Date.now() + timeoutMs;
      while (isAlive(pid) && Date.now() < deadline) await sleep(200);
      // Whatever is left, including descendants in process groups of their own (Airflow
      // runs each task in one), so that nothing outlives its service.
      const left = [...new Set([...tree, ...processTree(pid)])].filter(isAlive);
      for (const p of left) signalGroup(p, "SIGKILL");
      while (left.some(isAlive)) await sleep(100);
    }
    if (keeper?.alive) {
      const deadline = Date.now() + 5000;
      while (isAlive(keeper.pid) && Date.now() < deadline) await sleep(50);
      if (isAlive(keeper.pid)) signalGroup(keeper.pid, "SIGKILL");
    }
    for (const path of [this.keeperPath(name), this.stopPath(name)]) rmSyncQuiet(path);
    return pid !== undefined || keeper?.alive === true;
  }
}

function readRecord<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** `root` and all its descendants, from the parent links in /proc. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const tree: number[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers signal 0 but is no longer running.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

function isSameProgram(record: PidRecord): boolean {
  if (!isAlive(record.pid)) return false;
  try {
    // Some servers rewrite their title ("redis-server 127.0.0.1:6379"): compare the program only.
    const argv0 = readFileSync(`/proc/${record.pid}/cmdline`, "utf8").split(/[\0 ]/)[0] ?? "";
    if (basename(argv0) === basename(record.command)) return true;
  } catch {
    return false;
  }
  try {
    // Others rewrite it entirely ("airflow api_server -- ..."): the executable still tells.
    return realpathSync(`/proc/${record.pid}/exe`) === realpathSync(record.command);
  } catch {
    return false;
  }
}

function rmSyncQuiet(path: string): void {
  rmSync(path, { force: true });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
