import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isAlive, Supervisor } from "../../src/runtime/native/supervisor.ts";

const until = async (condition: () => boolean, ms = 30_000) => {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return condition();
};

// Real processes: on a busy machine a start takes seconds, so waits and timeouts are generous.
describe("native supervisor", { timeout: 60_000 }, () => {
  it("starts a detached process with its own log, finds it again, and stops it", async () => {
    const state = mkdtempSync(join(tmpdir(), "lakehouse-sup-"));
    const supervisor = new Supervisor(state);
    const started = supervisor.start("sleeper", { command: "sleep", args: ["60"] });
    expect(await until(() => (started.pid() ?? 0) > 0)).toBe(true);
    const pid = started.pid() as number;
    // A second Supervisor over the same folder (a later `lakehouse` command) sees it too,
    // once the child has exec'd (until then /proc shows the forking node process).
    expect(await until(() => new Supervisor(state).runningPid("sleeper") === started.pid())).toBe(
      true,
    );
    expect(
      await until(() =>
        readFileSync(supervisor.logPath("sleeper"), "utf8").includes("starting sleeper"),
      ),
    ).toBe(true);

    expect(await supervisor.stop("sleeper", "SIGTERM", 5000)).toBe(true);
    expect(isAlive(pid)).toBe(false);
    expect(supervisor.runningPid("sleeper")).toBeUndefined();
    expect(await supervisor.stop("sleeper")).toBe(false);
  });

  it("stopping what does not run is a no-op, even with its state folder deleted (down after reset)", async () => {
    const state = mkdtempSync(join(tmpdir(), "lakehouse-sup-"));
    const supervisor = new Supervisor(state);
    rmSync(state, { recursive: true, force: true });
    expect(await supervisor.stop("superset")).toBe(false);
    expect(existsSync(state)).toBe(false);
  });

  it("reports how a process that died ended", async () => {
    const supervisor = new Supervisor(mkdtempSync(join(tmpdir(), "lakehouse-sup-")));
    const started = supervisor.start("crasher", {
      command: "sh",
      args: ["-c", "echo boom >&2; exit 3"],
    });
    expect(await until(() => started.exit() !== undefined)).toBe(true);
    expect(started.exit()).toMatchObject({ code: 3, signal: null });
    expect(readFileSync(supervisor.logPath("crasher"), "utf8")).toContain("boom");
    expect(supervisor.runningPid("crasher")).toBeUndefined();
    await supervisor.stop("crasher");
  });

  it("kills what ignores the polite signal once the timeout passes", async () => {
    const supervisor = new Supervisor(mkdtempSync(join(tmpdir(), "lakehouse-sup-")));
    const started = supervisor.start("stubborn", {
      command: "sh",
      args: ["-c", "trap '' TERM; while true; do sleep 0.1; done"],
    });
    expect(await until(() => started.pid() !== undefined)).toBe(true);
    const pid = started.pid() as number;
    await new Promise((r) => setTimeout(r, 200));
    expect(await supervisor.stop("stubborn", "SIGTERM", 300)).toBe(true);
    expect(isAlive(pid)).toBe(false);
  });

  it("stops descendants that moved to a process group of their own", async () => {
    const state = mkdtempSync(join(tmpdir(), "lakehouse-sup-"));
    const supervisor = new Supervisor(state);
    const childPid = join(state, "child.pid");
    // Like an Airflow task: the service's child runs in its own process group (setsid).
    supervisor.start("parent", {
      command: "sh",
      args: ["-c", `setsid sleep 60 & echo $! > ${childPid}; wait`],
    });
    expect(await until(() => readFileSync(childPid, { flag: "a+" }).toString().trim() !== "")).toBe(
      true,
    );
    const child = Number(readFileSync(childPid, "utf8"));
    expect(isAlive(child)).toBe(true);
    expect(await supervisor.stop("parent", "SIGTERM", 2000)).toBe(true);
    expect(isAlive(child)).toBe(false);
  });

  it("starts a killed service again, counts the restart, and never takes a stop for a crash", async () => {
    const supervisor = new Supervisor(mkdtempSync(join(tmpdir(), "lakehouse-sup-")));
    const started = supervisor.start("sleeper", { command: "sleep", args: ["60"] }, [], {
      firstPauseMs: 50,
    });
    expect(await until(() => started.pid() !== undefined)).toBe(true);
    const first = started.pid() as number;
    process.kill(first, "SIGKILL");
    expect(await until(() => (supervisor.runningPid("sleeper") ?? first) !== first)).toBe(true);
    const keeper = supervisor.keeper("sleeper");
    expect(keeper).toMatchObject({ alive: true, state: "running", restarts: 1 });
    expect(keeper?.lastExit).toMatchObject({ signal: "SIGKILL" });
    expect(readFileSync(supervisor.logPath("sleeper"), "utf8")).toContain(
      "sleeper was killed by SIGKILL",
    );

    const second = supervisor.runningPid("sleeper") as number;
    expect(await supervisor.stop("sleeper", "SIGTERM", 5000)).toBe(true);
    expect(isAlive(second)).toBe(false);
    expect(isAlive(keeper?.pid as number)).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(supervisor.isManaged("sleeper")).toBe(false);
    expect(supervisor.keeper("sleeper")).toBeUndefined();
  });

  it("ends what a crashed service forked before starting it again", async () => {
    const state = mkdtempSync(join(tmpdir(), "lakehouse-sup-"));
    const supervisor = new Supervisor(state);
    const helperPid = join(state, "helper.pid");
    // Like PostgreSQL's backends: children in the service's process group.
    const started = supervisor.start(
      "forker",
      { command: "sh", args: ["-c", `sleep 60 & echo $! >> ${helperPid}; wait`] },
      [],
      { firstPauseMs: 50 },
    );
    expect(
      await until(() => readFileSync(helperPid, { flag: "a+" }).toString().trim() !== ""),
    ).toBe(true);
    const helper = Number(readFileSync(helperPid, "utf8").trim());
    process.kill(started.pid() as number, "SIGKILL");
    expect(await until(() => (supervisor.keeper("forker")?.restarts ?? 0) === 1)).toBe(true);
    expect(await until(() => !isAlive(helper))).toBe(true);
    await supervisor.stop("forker");
  });

  it("gives up on a service that keeps exiting as it starts, naming its log", async () => {
    const supervisor = new Supervisor(mkdtempSync(join(tmpdir(), "lakehouse-sup-")));
    supervisor.start("broken", { command: "sh", args: ["-c", "exit 2"] }, [], {
      firstPauseMs: 10,
      longestPauseMs: 40,
      giveUpAfter: 4,
    });
    expect(await until(() => supervisor.keeper("broken")?.state === "gave-up")).toBe(true);
    const keeper = supervisor.keeper("broken");
    expect(keeper?.restarts).toBe(3);
    expect(keeper?.reason).toContain("exited with code 2, 4 times in a row");
    expect(keeper?.reason).toContain(supervisor.logPath("broken"));
    expect(await until(() => supervisor.keeper("broken")?.alive === false)).toBe(true);
    expect(supervisor.isManaged("broken")).toBe(false);
    expect(readFileSync(supervisor.logPath("broken"), "utf8")).toContain("not restarting it");
  });

  it("keeps restarting a service while a service it depends on is restarting", async () => {
    const supervisor = new Supervisor(mkdtempSync(join(tmpdir(), "lakehouse-sup-")));
    // The database has only just started: exits of its client are put down to it.
    supervisor.start("db", { command: "sleep", args: ["60"] });
    const policy = { firstPauseMs: 10, longestPauseMs: 20, giveUpAfter: 2 };
    supervisor.start("client", { command: "sh", args: ["-c", "exit 1"] }, ["db"], policy);
    expect(await until(() => (supervisor.keeper("client")?.restarts ?? 0) >= 4)).toBe(true);
    expect(supervisor.keeper("client")?.state).not.toBe("gave-up");
    expect(readFileSync(supervisor.logPath("client"), "utf8")).toContain("(waiting for db)");
    await supervisor.stop("client");
    await supervisor.stop("db");
    expect(supervisor.isManaged("client") || supervisor.isManaged("db")).toBe(false);
  });

  it("a keeper stopped by hand stops its service with it", async () => {
    const supervisor = new Supervisor(mkdtempSync(join(tmpdir(), "lakehouse-sup-")));
    const started = supervisor.start("sleeper", { command: "sleep", args: ["60"] });
    expect(await until(() => started.pid() !== undefined)).toBe(true);
    const pid = started.pid() as number;
    const keeper = supervisor.keeper("sleeper")?.pid as number;
    process.kill(keeper, "SIGTERM");
    expect(await until(() => !isAlive(pid) && !isAlive(keeper))).toBe(true);
    expect(supervisor.isManaged("sleeper")).toBe(false);
  });

  it("does not mistake another program that reuses the pid for the service", () => {
    const state = mkdtempSync(join(tmpdir(), "lakehouse-sup-"));
    const supervisor = new Supervisor(state);
    // Our own pid is alive but runs node, not the recorded program.
    mkdirSync(join(state, "run"));
    writeFileSync(
      join(state, "run", "ghost.pid"),
      JSON.stringify({ pid: process.pid, command: "/usr/bin/redis-server", startedAt: "" }),
      { flag: "w" },
    );
    expect(supervisor.runningPid("ghost")).toBeUndefined();
  });
});
