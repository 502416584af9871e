import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isAlive, Supervisor } from "../../src/runtime/native/supervisor.ts";

const until = async (condition: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return condition();
};

describe("native supervisor", () => {
  it("starts a detached process with its own log, finds it again, and stops it", async () => {
    const state = mkdtempSync(join(tmpdir(), "lakehouse-sup-"));
    const supervisor = new Supervisor(state);
    const started = supervisor.start("sleeper", { command: "sleep", args: ["60"] });
    expect(started.pid).toBeGreaterThan(0);
    // A second Supervisor over the same folder (a later `lakehouse` command) sees it too,
    // once the child has exec'd (until then /proc shows the forking node process).
    expect(await until(() => new Supervisor(state).runningPid("sleeper") === started.pid)).toBe(
      true,
    );
    expect(
      await until(() =>
        readFileSync(supervisor.logPath("sleeper"), "utf8").includes("starting sleeper"),
      ),
    ).toBe(true);

    expect(await supervisor.stop("sleeper", "SIGTERM", 5000)).toBe(true);
    expect(isAlive(started.pid)).toBe(false);
    expect(supervisor.runningPid("sleeper")).toBeUndefined();
    expect(await supervisor.stop("sleeper")).toBe(false);
  });

  it("reports how a process that died ended", async () => {
    const supervisor = new Supervisor(mkdtempSync(join(tmpdir(), "lakehouse-sup-")));
    const started = supervisor.start("crasher", {
      command: "sh",
      args: ["-c", "echo boom >&2; exit 3"],
    });
    expect(await until(() => started.exit() !== undefined)).toBe(true);
    expect(started.exit()).toEqual({ code: 3, signal: null });
    expect(readFileSync(supervisor.logPath("crasher"), "utf8")).toContain("boom");
    expect(supervisor.runningPid("crasher")).toBeUndefined();
  });

  it("kills what ignores the polite signal once the timeout passes", async () => {
    const supervisor = new Supervisor(mkdtempSync(join(tmpdir(), "lakehouse-sup-")));
    const started = supervisor.start("stubborn", {
      command: "sh",
      args: ["-c", "trap '' TERM; while true; do sleep 0.1; done"],
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(await supervisor.stop("stubborn", "SIGTERM", 300)).toBe(true);
    expect(isAlive(started.pid)).toBe(false);
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
