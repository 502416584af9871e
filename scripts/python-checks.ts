/**
 * The Python side's checks, as `npm test` runs them: ruff, mypy --strict and pytest for
 * airflow/ (the pipeline package and, later, the DAGs), in a cached dev environment.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { consoleReporter } from "../src/cli/reporter.ts";
import { cacheDir, projectRoot } from "../src/config/paths.ts";
import { type Component, componentDir, ensureInstalled } from "../src/install/component.ts";

const airflowDir = join(projectRoot, "airflow");
const requirements = join(airflowDir, "requirements-dev.txt");
const hash = createHash("sha256")
  .update(readFileSync(requirements))
  .update(readFileSync(join(airflowDir, "requirements.txt")))
  .digest("hex")
  .slice(0, 8);

const devPython: Component = {
  name: "Python dev environment",
  version: hash,
  folder: `python-dev-${hash}`,
  async build(dir) {
    execFileSync("python3", ["-m", "venv", dir], { stdio: "inherit" });
    execFileSync(
      join(dir, "bin", "python"),
      ["-m", "pip", "install", "--quiet", "-r", requirements],
      {
        stdio: "inherit",
        cwd: airflowDir,
      },
    );
  },
};

const cache = cacheDir();
await ensureInstalled(cache, devPython, consoleReporter());
const python = join(componentDir(cache, devPython), "bin", "python");
const run = (...args: string[]) => {
  console.error(`$ python ${args.join(" ")}`);
  execFileSync(python, args, { stdio: "inherit", cwd: airflowDir });
};
run("-m", "ruff", "check", ".");
run("-m", "ruff", "format", "--check", ".");
run("-m", "mypy", "--strict", "lakehouse_pipeline");
run("-m", "pytest", "-q", "tests");
