/**
 * The integration suites against docker mode, as `npm test` runs them after the native
 * ones. Without an engine: as root on Debian (CI, a fresh machine) one is set up with
 * scripts/docker-engine.sh, as the tests install their other system packages; anywhere
 * else the run says why docker mode was not tested and how to test it, and fails under CI.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../src/config/paths.ts";
import { composeAvailable } from "../src/runtime/docker/compose.ts";

let missing = composeAvailable();
if (missing && process.getuid?.() === 0 && existsSync("/usr/bin/apt-get")) {
  execFileSync("bash", [join(projectRoot, "scripts", "docker-engine.sh")], { stdio: "inherit" });
  missing = composeAvailable();
}
if (missing) {
  console.error(
    `docker mode not tested: this machine lacks ${missing}. ` +
      "`sudo scripts/docker-engine.sh` sets one up (Debian), then run `npm test` again.",
  );
  process.exit(process.env.CI ? 1 : 0);
}
execFileSync(
  join(projectRoot, "node_modules", ".bin", "vitest"),
  ["run", "--project", "integration-docker"],
  { stdio: "inherit", cwd: projectRoot },
);
