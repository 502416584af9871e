import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Settings } from "../../config/settings.ts";
import type { InstalledTools } from "../../install/installer.ts";
import { hostAddress } from "../../services/addresses.ts";
import { isRoot, lookupUser } from "./os-user.ts";
import type { ProcessSpec } from "./process-spec.ts";

const run = promisify(execFile);
const OS_USER = "postgres";

/**
 * The project's own PostgreSQL cluster under the state directory (not the system
 * service), created with initdb on first start. Run as the `postgres` account when we
 * are root, because PostgreSQL refuses to run as root.
 */
export function postgresProcess(s: Settings, tools: InstalledTools): ProcessSpec {
  const home = join(s.paths.state, "postgres");
  const data = join(home, "data");
  const socketDir = join(home, "run");
  const configDir = join(s.paths.root, "services", "postgres");
  const asOwner = () => (isRoot() ? lookupUser(OS_USER) : undefined);
  const password = s.postgres.password.reveal();

  return {
    command: join(tools.postgresBin, "postgres"),
    args: [
      "-D",
      data,
      "-c",
      `config_file=${join(configDir, "postgresql.conf")}`,
      "-c",
      `hba_file=${join(configDir, "pg_hba.conf")}`,
      "-c",
      `data_directory=${data}`,
      "-c",
      `listen_addresses=${s.bindHost}`,
      "-c",
      `port=${s.ports.POSTGRES_PORT}`,
      "-c",
      `unix_socket_directories=${socketDir}`,
    ],
    user: OS_USER,
    async prepare() {
      const owner = asOwner();
      // The state folder stays traversable (0755) so the postgres account reaches its own.
      mkdirSync(s.paths.state, { recursive: true });
      for (const dir of [home, socketDir]) {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        if (owner) chownSync(dir, owner.uid, owner.gid);
      }
      if (existsSync(join(data, "PG_VERSION"))) return;
      if (owner) await assertReachable(configDir, home);
      const pwfile = join(home, "initdb.pw");
      writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
      if (owner) chownSync(pwfile, owner.uid, owner.gid);
      try {
        await run(
          join(tools.postgresBin, "initdb"),
          [
            "-D",
            data,
            "-U",
            s.postgres.user,
            `--pwfile=${pwfile}`,
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--no-locale",
          ],
          { ...(owner ?? {}) },
        );
      } finally {
        rmSync(pwfile, { force: true });
      }
    },
    async afterReady() {
      await psql(s, tools, "postgres", [
        ...["--quiet", "-v", "ON_ERROR_STOP=1"],
        ...["--file", join(configDir, "init.sql")],
      ]);
    },
  };
}

/** The postgres account must reach our config files and the data folder. */
async function assertReachable(...paths: string[]): Promise<void> {
  for (const path of paths) {
    try {
      await run("runuser", ["-u", OS_USER, "--", "test", "-x", path]);
    } catch {
      throw new Error(
        `PostgreSQL runs as the "${OS_USER}" user, which cannot reach ${path} (a parent folder is private). ` +
          "Clone the project under a folder other users can traverse (e.g. /srv or /opt), " +
          "or set LAKEHOUSE_HOME to such a folder.",
      );
    }
  }
}

/**
 * One query's result as text (psql's unaligned tuples), or undefined when it cannot be
 * answered (no such database or table yet). Only SQL written in the code, never outside values.
 */
export async function queryText(
  s: Settings,
  tools: InstalledTools,
  database: string,
  sql: string,
): Promise<string | undefined> {
  try {
    const stdout = await psql(s, tools, database, [
      ...["--tuples-only", "--no-align", "--command", sql],
    ]);
    return stdout.trim();
  } catch {
    return undefined;
  }
}

/** psql as the lakehouse user over TCP, like every other client; resolves with stdout. */
async function psql(
  s: Settings,
  tools: InstalledTools,
  database: string,
  args: string[],
): Promise<string> {
  const { stdout } = await run(
    join(tools.postgresBin, "psql"),
    [
      ...["--host", hostAddress(s), "--port", String(s.ports.POSTGRES_PORT)],
      ...["--username", s.postgres.user, "--dbname", database, "--no-psqlrc", ...args],
    ],
    { env: { ...process.env, PGPASSWORD: s.postgres.password.reveal() } },
  );
  return stdout;
}
