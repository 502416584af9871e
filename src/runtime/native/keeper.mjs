// The restart policy of native mode, compose's `restart: unless-stopped` for a local
// process. One keeper runs per service: it starts the service, and when the service exits
// without being asked to, starts it again after a pause that doubles with each quick exit.
// A service that keeps exiting soon after it starts is given up on, with the reason in its
// log and in the state file `lakehouse status` reads.
//
// Plain JavaScript run by `node` alone: the TypeScript loader would double the memory each
// keeper holds (about 40 MB without it), and the keeper needs nothing but node's own modules.
// Its job description arrives on stdin, so the service's secrets never show in `ps`.
//
// Files in the run folder, for service NAME:
//   NAME.pid     the service's process: {pid, command, startedAt} (what Supervisor reads)
//   NAME.keeper  this keeper: {pid, command, state, restarts, lastExit, ...}
//   NAME.stop    written by Supervisor.stop before it signals anything: an exit that
//                follows is a stop, never a crash.

import { spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";

const DEFAULT_POLICY = {
  /** The first pause before a restart; it doubles with each quick exit in a row. */
  firstPauseMs: 1_000,
  longestPauseMs: 30_000,
  /** A run at least this long was not a quick exit: the pause and the count start over. */
  settledMs: 60_000,
  /** Quick exits in a row after which the service is given up on. */
  giveUpAfter: 10,
};

const job = JSON.parse(readFileSync(0, "utf8"));
const { name, runDir, logPath } = job;
const policy = { ...DEFAULT_POLICY, ...job.policy };
const pidFile = join(runDir, `${name}.pid`);
const stateFile = join(runDir, `${name}.keeper`);
const stopMarker = join(runDir, `${name}.stop`);

const state = {
  pid: process.pid,
  command: process.execPath,
  startedAt: new Date().toISOString(),
  /** running | restarting | gave-up */
  state: "running",
  restarts: 0,
  /** {code, signal, error?, at, ranMs} of the service's last unexpected exit. */
  lastExit: undefined,
  childStartedAt: undefined,
  nextStartAt: undefined,
  reason: undefined,
};
let child;
let quickExits = 0;
let timer;

/** Written whole and renamed into place: a reader never sees half a state (and no keeper). */
function save() {
  writeFileSync(`${stateFile}.tmp`, JSON.stringify(state));
  renameSync(`${stateFile}.tmp`, stateFile);
}

function note(line) {
  writeFileSync(logPath, `=== lakehouse: ${line}\n`, { flag: "a" });
}

function stopping() {
  return existsSync(stopMarker);
}

function finish(code) {
  if (code === 0) rmSync(stateFile, { force: true });
  process.exit(code);
}

function describeExit(exit) {
  if (exit.error) return `could not be started (${exit.error})`;
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

/**
 * A dependency that is not running, or started again lately, explains a quick exit: such
 * exits do not count towards giving up, so a service waits out its database's restart.
 */
function dependencyUnsettled() {
  return (job.dependsOn ?? []).find((dep) => {
    try {
      const other = JSON.parse(readFileSync(join(runDir, `${dep}.keeper`), "utf8"));
      const since = Date.parse(other.childStartedAt ?? "");
      return other.state !== "running" || !(Date.now() - since >= policy.settledMs);
    } catch {
      return true;
    }
  });
}

function launch() {
  timer = undefined;
  if (stopping()) finish(0);
  const log = openSync(logPath, "a");
  writeSync(
    log,
    `\n=== lakehouse: starting ${name} at ${new Date().toISOString()}\n=== ${[job.command, ...job.args].join(" ")}\n`,
  );
  const startedAt = Date.now();
  let ended = false;
  const onEnd = (exit) => {
    if (ended) return;
    ended = true;
    exited({ ...exit, at: new Date().toISOString(), ranMs: Date.now() - startedAt }, spawned.pid);
  };
  const spawned = spawn(job.command, job.args, {
    cwd: job.cwd,
    env: job.env,
    // Its own process group, so a stop reaches helpers it forks too.
    detached: true,
    stdio: ["ignore", log, log],
    ...(job.uid === undefined ? {} : { uid: job.uid, gid: job.gid }),
  });
  closeSync(log);
  child = spawned;
  child.on("exit", (code, signal) => onEnd({ code, signal }));
  child.on("error", (error) => onEnd({ code: null, signal: null, error: error.message }));
  if (child.pid !== undefined) {
    writeFileSync(
      pidFile,
      JSON.stringify({
        pid: child.pid,
        command: job.command,
        startedAt: new Date(startedAt).toISOString(),
      }),
    );
  }
  state.state = "running";
  state.childStartedAt = new Date(startedAt).toISOString();
  state.nextStartAt = undefined;
  save();
}

function exited(exit, group) {
  child = undefined;
  if (stopping()) finish(0);
  // What the service forked is left without it (PostgreSQL's backends hold its shared
  // memory, which a new postmaster refuses to share): end it, as a container's end does.
  try {
    process.kill(-group, "SIGKILL");
  } catch {
    // Nothing left.
  }
  state.lastExit = exit;
  const unsettled = dependencyUnsettled();
  if (exit.ranMs >= policy.settledMs) quickExits = 0;
  else if (!unsettled) quickExits += 1;
  if (quickExits >= policy.giveUpAfter) {
    state.state = "gave-up";
    state.reason = `${name} ${describeExit(exit)}, ${policy.giveUpAfter} times in a row within ${policy.settledMs / 1000} s of starting; not restarting it. See its log: ${logPath}`;
    save();
    note(state.reason);
    finish(1);
  }
  const pause = Math.min(
    policy.firstPauseMs * 2 ** Math.max(quickExits - 1, 0),
    policy.longestPauseMs,
  );
  state.state = "restarting";
  state.restarts += 1;
  state.nextStartAt = new Date(Date.now() + pause).toISOString();
  save();
  const why = unsettled ? ` (waiting for ${unsettled})` : "";
  note(
    `${name} ${describeExit(exit)} at ${exit.at}; restarting it in ${pause / 1000} s${why} (restart ${state.restarts})`,
  );
  timer = setTimeout(launch, pause);
}

// Supervisor.stop writes the stop marker, then sends SIGTERM here and the service's own stop
// signal to the service. A SIGTERM without the marker (someone stopping the keeper by hand)
// is a stop too: the keeper passes it on to the service and ends with it.
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    if (timer) clearTimeout(timer);
    if (child === undefined) finish(0);
    if (!stopping()) {
      writeFileSync(stopMarker, "");
      try {
        process.kill(-child.pid, signal);
      } catch {
        // Already gone: its exit ends the keeper.
      }
    }
  });
}

launch();
