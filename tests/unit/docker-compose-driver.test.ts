import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/config/paths.ts";
import { loadSettings } from "../../src/config/settings.ts";
import { composeArgs } from "../../src/runtime/docker/compose.ts";

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
