/**
 * The Python side's checks, as `npm test` runs them: ruff, mypy --strict and pytest for
 * airflow/ (the pipeline package and, later, the DAGs), in a cached dev environment.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { consoleReporter } from "../src/cli/reporter.ts";
import { cacheDir, projectRoot } from "../src/config/paths.ts";
import { componentDir, ensureInstalled } from "../src/install/component.ts";
import { pythonEnvironment } from "../src/install/components.ts";

const airflowDir = join(projectRoot, "airflow");
// requirements-dev.txt includes requirements.txt (-r), so both are hashed into its name.
const devPython = pythonEnvironment("Python dev environment", "python-dev", [
  "airflow/requirements.txt",
  "airflow/requirements-dev.txt",
]);

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
