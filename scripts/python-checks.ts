/**
 * The Python side's checks, as `npm test` runs them, in a cached dev environment: ruff for
 * the loader package (loader/) and the DAGs (airflow/dags/, with the loader's settings),
 * mypy --strict and pytest for the loader.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { consoleReporter } from "../src/cli/reporter.ts";
import { cacheDir, projectRoot } from "../src/config/paths.ts";
import { componentDir, ensureInstalled } from "../src/install/component.ts";
import { pythonEnvironment } from "../src/install/components.ts";

const loaderDir = join(projectRoot, "loader");
// requirements-dev.txt includes requirements.txt (-r), so both are hashed into its name.
const devPython = pythonEnvironment("Python dev environment", "python-dev", [
  "loader/requirements.txt",
  "loader/requirements-dev.txt",
]);

const cache = cacheDir();
await ensureInstalled(cache, devPython, consoleReporter());
const python = join(componentDir(cache, devPython), "bin", "python");
const run = (...args: string[]) => {
  console.error(`$ python ${args.join(" ")}`);
  execFileSync(python, args, { stdio: "inherit", cwd: loaderDir });
};
const linted = [".", "../airflow/dags", "../airflow/worker"];
run("-m", "ruff", "check", "--config", "pyproject.toml", ...linted);
run("-m", "ruff", "format", "--check", "--config", "pyproject.toml", ...linted);
run("-m", "mypy", "--strict", "lakehouse_loader");
run("-m", "pytest", "-q", "tests");
