import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { AirflowClient } from "../../src/airflow/client.ts";
import { INGEST_DAG } from "../../src/airflow/ingest-via-airflow.ts";
import { loadSettings, PORT_DEFAULTS, type Settings } from "../../src/config/settings.ts";

const root = resolve(import.meta.dirname, "../..");

/**
 * An isolated install for tests: its own state folder, .env and ports (the defaults
 * + 20000), so tests never touch a stack a developer runs on the default ports. The
 * install cache is shared, as it would be on a real machine.
 */
export class TestStack {
  readonly dir = mkdtempSync(join(tmpdir(), "lakehouse-it-"));
  readonly env: Record<string, string>;

  constructor(overrides: Record<string, string> = {}) {
    // mkdtemp makes a private folder; PostgreSQL's own account must traverse it.
    chmodSync(this.dir, 0o755);
    const ports = Object.fromEntries(
      Object.entries(PORT_DEFAULTS).map(([name, port]) => [name, String(port + 20_000)]),
    );
    this.env = {
      LAKEHOUSE_HOME: join(this.dir, "state"),
      LAKEHOUSE_ENV_FILE: join(this.dir, ".env"),
      ...ports,
      ...overrides,
    };
  }

  settings(): Settings {
    return loadSettings({ env: { ...process.env, ...this.env } });
  }

  /** Runs `./lakehouse ARGS` and returns its exit code and output; never throws. */
  run(
    args: string[],
    extraEnv: Record<string, string> = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((done) => {
      execFile(
        join(root, "lakehouse"),
        args,
        {
          env: { ...process.env, ...this.env, ...extraEnv },
          maxBuffer: 64 * 1024 * 1024,
          timeout: 20 * 60_000,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
          done({ code, stdout, stderr });
        },
      );
    });
  }

  /** Like run, but fails the test with the command's output when it exits non-zero. */
  async ok(args: string[]): Promise<{ stdout: string; stderr: string }> {
    const result = await this.run(args);
    if (result.code !== 0) {
      throw new Error(
        `lakehouse ${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`,
      );
    }
    return result;
  }

  /** Pauses `csv_to_iceberg`, so files written into data/raw/ are loaded only when asked. */
  async pauseScheduledIngest(): Promise<void> {
    const airflow = new AirflowClient(this.settings());
    await airflow.waitForDag(INGEST_DAG);
    await airflow.request("PATCH", `/api/v2/dags/${INGEST_DAG}`, { is_paused: true });
  }

  async destroy(): Promise<void> {
    await this.run(["down"]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
