import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/config/paths.ts";
import { loadSettings } from "../../src/config/settings.ts";
import { composeArgs, composeStatuses } from "../../src/runtime/docker/compose.ts";

describe("docker mode driver", () => {
  it("runs the repo's compose file with this install's .env, wherever it lives", () => {
    const dir = mkdtempSync(join(tmpdir(), "lakehouse-docker-"));
    const envFile = join(dir, "custom.env");
    const s = loadSettings({
      env: { LAKEHOUSE_ENV_FILE: envFile, LAKEHOUSE_HOME: join(dir, "state") },
    });
    expect(composeArgs(s, "up", "--wait")).toEqual([
      "compose",
      "--project-directory",
      projectRoot,
      "--file",
      join(projectRoot, "docker-compose.yml"),
      "--env-file",
      envFile,
      "up",
      "--wait",
    ]);
  });
});

describe("docker mode status", () => {
  const s = loadSettings({ env: { LAKEHOUSE_HOME: mkdtempSync(join(tmpdir(), "lakehouse-ps-")) } });
  // As `docker compose ps --all --format json` prints them (Compose 2.21+: a line each).
  const ps = [
    { Service: "postgres", State: "running", Health: "healthy", Status: "Up 2 minutes (healthy)" },
    {
      Service: "trino",
      State: "running",
      Health: "starting",
      Status: "Up 5 seconds (health: starting)",
    },
    { Service: "superset", State: "exited", Health: "", Status: "Exited (1) 3 seconds ago" },
    { Service: "trino-worker", State: "running", Health: "", Status: "Up 1 minute" },
    { Service: "s3-init", State: "exited", Health: "", Status: "Exited (0) 2 minutes ago" },
  ];
  const byService = (output: string) =>
    new Map(composeStatuses(s, output).map((status) => [status.service, status]));

  it("reports every catalogued service, healthy, starting, exited or missing", () => {
    const statuses = byService(ps.map((c) => JSON.stringify(c)).join("\n"));
    expect(statuses.get("postgres")).toMatchObject({ state: "running", health: "healthy" });
    expect(statuses.get("trino")).toMatchObject({
      state: "running",
      health: "unhealthy",
      detail: "Up 5 seconds (health: starting)",
      url: `http://127.0.0.1:${s.ports.TRINO_PORT}/ui/`,
    });
    expect(statuses.get("superset")).toMatchObject({ state: "exited", health: "-" });
    expect(statuses.get("valkey")).toMatchObject({ state: "stopped", health: "-" });
    expect(statuses.get("postgres")?.logPath).toBe("./lakehouse logs postgres");
    // Scaled-out workers show; finished one-shot containers do not.
    expect(statuses.get("trino-worker")).toMatchObject({ state: "running", health: "-" });
    expect(statuses.has("s3-init")).toBe(false);
  });

  it("reads the one-array format of older Compose the same way", () => {
    const lines = byService(ps.map((c) => JSON.stringify(c)).join("\n"));
    const array = byService(JSON.stringify(ps));
    expect([...array.entries()]).toEqual([...lines.entries()]);
  });

  it("shows a container being restarted and how often its restart policy has", () => {
    const output = JSON.stringify({
      Service: "trino",
      Name: "lakehouse-trino",
      State: "restarting",
      Status: "Restarting (137) 2 seconds ago",
    });
    const restarts = new Map([
      ["lakehouse-trino", { restarts: 2, lastExit: "exited with code 137 at 12:03:11" }],
    ]);
    const trino = composeStatuses(s, output, restarts).find((x) => x.service === "trino");
    expect(trino).toMatchObject({
      state: "restarting",
      restarts: 2,
      lastExit: "exited with code 137 at 12:03:11",
    });
  });
});
