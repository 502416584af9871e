import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Settings } from "../../config/settings.ts";
import type { InstalledTools } from "../../install/installer.ts";
import { authority } from "../../services/addresses.ts";
import type { ProcessSpec } from "./process-spec.ts";
import { runSetupCommand } from "./run-setup-command.ts";

const configDir = (s: Settings) => join(s.paths.root, "services", "superset");

/** What services/superset/superset_config.py reads; docker-compose.yml sets the same names. */
export function supersetEnv(s: Settings): Record<string, string> {
  const password = (secret: { reveal(): string }) => encodeURIComponent(secret.reveal());
  return {
    SUPERSET_CONFIG_PATH: join(configDir(s), "superset_config.py"),
    SUPERSET_HOME: join(s.paths.state, "superset"),
    SUPERSET_SECRET_KEY: s.superset.secretKey.reveal(),
    SUPERSET_ADMIN_PASSWORD: s.superset.adminPassword.reveal(),
    SUPERSET_DATA_CACHE_SECONDS: String(s.superset.dataCacheSeconds),
    SUPERSET_DATABASE_URI: `postgresql+psycopg2://${s.postgres.user}:${password(s.postgres.password)}@${authority(s, "postgres")}/superset`,
    SUPERSET_REDIS_URL: `redis://:${password(s.valkey.password)}@${authority(s, "valkey")}/1`,
    LAKEHOUSE_TRINO_SQLALCHEMY_URI: supersetTrinoUri(s),
    FLASK_APP: "superset.app:create_app()",
  };
}

/**
 * How Superset reaches Trino (the iceberg catalog, the lakehouse schema): over loopback
 * natively, by its service name inside the compose network.
 */
export function supersetTrinoUri(s: Settings, mode: "native" | "docker" = "native"): string {
  const address = authority(s, "trino", mode === "docker" ? "container" : "host");
  return `trino://superset@${address}/${s.trino.catalog}/${s.trino.schema}`;
}

/**
 * Superset under gunicorn: one worker with threads (a dashboard fires a request per chart
 * at once; threads serve them without a second copy of Superset in memory).
 */
export function supersetProcess(s: Settings, tools: InstalledTools): ProcessSpec {
  const env = supersetEnv(s);
  return {
    command: tools.supersetPython,
    args: [
      "-m",
      "gunicorn",
      "--bind",
      `${s.bindHost}:${s.ports.SUPERSET_PORT}`,
      "--workers",
      "1",
      "--worker-class",
      "gthread",
      "--threads",
      "8",
      "--timeout",
      "120",
      // Longer than clients keep idle connections (Node's fetch: 4 s), so a request is never
      // sent on a connection gunicorn is closing (its default is 2 s).
      "--keep-alive",
      "10",
      "--limit-request-line",
      "0",
      "--limit-request-field_size",
      "0",
      "superset.app:create_app()",
    ],
    env,
    cwd: env.SUPERSET_HOME,
    async prepare() {
      mkdirSync(env.SUPERSET_HOME as string, { recursive: true, mode: 0o700 });
      await runSetupCommand(
        "preparing Superset's database",
        tools.supersetPython,
        [join(configDir(s), "prepare.py")],
        {
          env,
          cwd: env.SUPERSET_HOME as string,
        },
      );
    },
  };
}
