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
  writeSync,
} from "node:fs";
import { basename, join } from "node:path";
import { isRoot, lookupUser } from "./os-user.ts";
import type { ProcessSpec } from "./process-spec.ts";

interface PidRecord {
  pid: number;
  command: string;
  startedAt: string;
}

/** A process we just started: its pid, and how it ended if it already has. */
export interface StartedProcess {
  pid: number;
  exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

/**
 * Starts services as detached local processes that outlive the `lakehouse` command,
 * one log file and one pid file each, and stops them by process group. The pid file is
 * trusted only while /proc shows the same program under that pid, so a reused pid after
 * a reboot is never mistaken for our service.
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

  /** The pid of the service's process if it is alive. */
  runningPid(name: string): number | undefined {
    const path = this.pidPath(name);
    if (!existsSync(path)) return undefined;
    let record: PidRecord;
    try {
      record = JSON.parse(readFileSync(path, "utf8")) as PidRecord;
    } catch {
      return undefined;
    }
    return isSameProgram(record) ? record.pid : undefined;
  }

  start(name: string, spec: ProcessSpec): StartedProcess {
    mkdirSync(this.logDir, { recursive: true });
    mkdirSync(this.runDir, { recursive: true });
    const log = openSync(this.logPath(name), "a");
    writeSync(
      log,
      `\n=== lakehouse: starting ${name} at ${new Date().toISOString()}\n=== ${[spec.command, ...spec.args].join(" ")}\n`,
    );
    const user = spec.user && isRoot() ? lookupUser(spec.user) : undefined;
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      // Its own process group, so `stop` reaches helpers it forks too.
      detached: true,
      stdio: ["ignore", log, log],
      ...(user ?? {}),
    });
    closeSync(log);
    let ended: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    child.on("exit", (code, signal) => {
      ended = { code, signal };
    });
    child.on("error", (error) => {
      ended = { code: null, signal: null };
      writeFileSync(this.logPath(name), `failed to start: ${error.message}\n`, { flag: "a" });
    });
    child.unref();
    if (child.pid === undefined) {
      return { pid: -1, exit: () => ended ?? { code: null, signal: null } };
    }
    const record: PidRecord = {
      pid: child.pid,
      command: spec.command,
      startedAt: new Date().toISOString(),
    };
    writeFileSync(this.pidPath(name), JSON.stringify(record));
    return { pid: child.pid, exit: () => ended };
  }

  /** Stops the service: `signal` first, SIGKILL after `timeoutMs`. Returns false if it was not running. */
  async stop(
    name: string,
    signal: NodeJS.Signals = "SIGTERM",
    timeoutMs = 30_000,
  ): Promise<boolean> {
    const pid = this.runningPid(name);
    rmSyncQuiet(this.pidPath(name));
    if (pid === undefined) return false;
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
    return true;
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
