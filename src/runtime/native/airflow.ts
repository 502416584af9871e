import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { type Settings, settingsEnv } from "../../config/settings.ts";
import type { InstalledTools } from "../../install/installer.ts";
import { LOAD_POOL } from "../../pipeline/conventions.ts";
import { pipelineEnv } from "../../pipeline/direct-ingest.ts";
import { authority, httpUrl } from "../../services/addresses.ts";
import { queryText } from "./postgres.ts";
import type { ProcessSpec } from "./process-spec.ts";
import { runSetupCommand } from "./run-setup-command.ts";

/** Celery's app inside the Celery provider, for `celery inspect ping`. */
export const CELERY_APP = "airflow.providers.celery.executors.celery_executor.app";

const airflowHome = (s: Settings) => join(s.paths.state, "airflow");
const passwordsFile = (s: Settings) => join(airflowHome(s), "simple_auth_manager_passwords.json");

/**
 * Airflow's configuration, as AIRFLOW__SECTION__KEY variables: every Airflow process gets
 * the same set, so they agree on the database, broker, secrets and the API's address.
 * docker-compose.yml sets the same keys with container hostnames.
 */
export function airflowEnv(s: Settings): Record<string, string> {
  const pg = `${s.postgres.user}:${encodeURIComponent(s.postgres.password.reveal())}@${authority(s, "postgres")}/airflow`;
  const api = httpUrl(s, "airflow-apiserver");
  return {
    ...pipelineEnv(s),
    // The dashboards' refresh step runs `lakehouse dashboards` with these same settings.
    ...settingsEnv(s),
    LAKEHOUSE_DASHBOARDS_COMMAND: `${join(s.paths.root, "lakehouse")} dashboards`,
    AIRFLOW_HOME: airflowHome(s),
    AIRFLOW__CORE__EXECUTOR: "CeleryExecutor",
    AIRFLOW__CORE__LOAD_EXAMPLES: "False",
    AIRFLOW__CORE__DAGS_FOLDER: join(s.paths.root, "airflow", "dags"),
    // New DAGs run without someone first switching them on in the UI.
    AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION: "False",
    AIRFLOW__CORE__FERNET_KEY: s.airflow.fernetKey.reveal(),
    AIRFLOW__CORE__EXECUTION_API_SERVER_URL: `${api}/execution/`,
    // Airflow 3's built-in login: one admin, whose password `lakehouse` writes (see below).
    AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS: `${s.airflow.adminUser}:admin`,
    AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE: passwordsFile(s),
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `postgresql+psycopg2://${pg}`,
    AIRFLOW__CELERY__BROKER_URL: `redis://:${encodeURIComponent(s.valkey.password.reveal())}@${authority(s, "valkey")}/0`,
    AIRFLOW__CELERY__RESULT_BACKEND: `db+postgresql+psycopg2://${pg}`,
    AIRFLOW__CELERY__WORKER_CONCURRENCY: String(s.airflow.workerConcurrency),
    // The worker imports the loader's libraries once; its forked tasks inherit them.
    AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS: "lakehouse_celery.CELERY_CONFIG",
    PYTHONPATH: [join(s.paths.root, "loader"), join(s.paths.root, "airflow", "worker")].join(
      delimiter,
    ),
    AIRFLOW__CELERY__FLOWER_HOST: s.bindHost,
    AIRFLOW__CELERY__FLOWER_PORT: String(s.ports.FLOWER_PORT),
    // Flower can revoke tasks and shows their arguments: same login as Airflow's.
    AIRFLOW__CELERY__FLOWER_BASIC_AUTH: `${s.airflow.adminUser}:${s.airflow.adminPassword.reveal()}`,
    AIRFLOW__API__HOST: s.bindHost,
    AIRFLOW__API__PORT: String(s.ports.AIRFLOW_PORT),
    AIRFLOW__API__WORKERS: "1",
    AIRFLOW__API__BASE_URL: api,
    // Every process signs and checks task tokens with the same secret.
    AIRFLOW__API__SECRET_KEY: s.airflow.apiSecret.reveal(),
    AIRFLOW__API_AUTH__JWT_SECRET: s.airflow.apiSecret.reveal(),
    AIRFLOW__LOGGING__BASE_LOG_FOLDER: join(airflowHome(s), "logs"),
    // Connections for DAGs of your own (the lakehouse's DAGs read LAKEHOUSE_* above).
    AIRFLOW_CONN_LAKEHOUSE_TRINO: `trino://lakehouse@${authority(s, "trino")}/${s.trino.catalog}/${s.trino.schema}`,
    AIRFLOW_CONN_LAKEHOUSE_S3: JSON.stringify({
      conn_type: "aws",
      login: s.s3.accessKey.reveal(),
      password: s.s3.secretKey.reveal(),
      extra: {
        endpoint_url: httpUrl(s, "seaweedfs-s3"),
        region_name: s.s3.region,
      },
    }),
    // A task whose worker died is noticed after this long and retried (default: 5 minutes).
    AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT: "60",
    // A task a dead worker had taken from the queue but not started is queued again after
    // this long (default: 10 minutes); a queue that busy for longer only waits again.
    AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT: "300",
    // The DAG folder is ours and small: look for changes often, with one parser process.
    AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL: "30",
    AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES: "1",
  };
}

/** `python -m airflow ARGS` in Airflow's environment; resolves with its stdout. */
export function airflowCli(s: Settings, tools: InstalledTools, args: string[]): Promise<string> {
  return runSetupCommand(`airflow ${args.join(" ")}`, tools.python, ["-m", "airflow", ...args], {
    env: airflowEnv(s),
    cwd: airflowHome(s),
  });
}

/**
 * What `db migrate` and `pools set` leave behind, as one string: the Airflow environment,
 * the schema revision and the load pool. Undefined while the database cannot answer.
 */
async function preparedState(s: Settings, tools: InstalledTools): Promise<string | undefined> {
  const found = await queryText(
    s,
    tools,
    "airflow",
    "SELECT (SELECT version_num FROM alembic_version) || ' pool ' || " +
      `(SELECT slots FROM slot_pool WHERE pool = '${LOAD_POOL}')`,
  );
  // NULL (an empty line) until both exist.
  return found ? JSON.stringify({ python: tools.python, found }) : undefined;
}

/**
 * The Airflow processes. Every one is `python -m airflow`, never the `airflow` script:
 * the environment was built in a temporary folder and moved, so its scripts' first lines
 * point to a path that no longer exists. Log servers are skipped: they listen on every
 * interface, and here every process reads the same local log folder anyway.
 */
export function airflowProcesses(s: Settings, tools: InstalledTools): Record<string, ProcessSpec> {
  const home = airflowHome(s);
  const airflow = (args: string[], extra: Partial<ProcessSpec> = {}): ProcessSpec => ({
    command: tools.python,
    args: ["-m", "airflow", ...args],
    env: airflowEnv(s),
    cwd: home,
    ...extra,
  });
  return {
    "airflow-apiserver": airflow(
      ["api-server", "--host", s.bindHost, "--port", String(s.ports.AIRFLOW_PORT)],
      {
        // Runs before the API server, which every other Airflow process waits for: the
        // database schema is current and the login and load pool exist before anything runs.
        async prepare() {
          mkdirSync(join(home, "logs"), { recursive: true, mode: 0o700 });
          writeFileSync(
            passwordsFile(s),
            JSON.stringify({ [s.airflow.adminUser]: s.airflow.adminPassword.reveal() }),
            { mode: 0o600 },
          );
          // Each `airflow` command costs ~10 s of Python start-up on two cores: skipped
          // when the database is already what this Airflow migrated it to.
          const marker = join(home, "prepared.json");
          const state = await preparedState(s, tools);
          if (state !== undefined && existsSync(marker) && readFileSync(marker, "utf8") === state)
            return;
          await airflowCli(s, tools, ["db", "migrate"]);
          await airflowCli(s, tools, [
            "pools",
            "set",
            LOAD_POOL,
            "1",
            "CSV loads, one at a time: loads of one table never race",
          ]);
          const prepared = await preparedState(s, tools);
          if (prepared !== undefined) writeFileSync(marker, prepared);
        },
      },
    ),
    "airflow-scheduler": airflow(["scheduler", "--skip-serve-logs"]),
    "airflow-dag-processor": airflow(["dag-processor"]),
    "airflow-triggerer": airflow(["triggerer", "--skip-serve-logs"]),
    "airflow-worker": airflow([
      "celery",
      "worker",
      "--concurrency",
      String(s.airflow.workerConcurrency),
      "--skip-serve-logs",
      // One worker on one machine: nothing to gossip or synchronise with.
      "--without-gossip",
      "--without-mingle",
    ]),
    "airflow-flower": airflow([
      "celery",
      "flower",
      "--hostname",
      s.bindHost,
      "--port",
      String(s.ports.FLOWER_PORT),
    ]),
  };
}
