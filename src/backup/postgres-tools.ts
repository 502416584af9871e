import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../cli/user-error.ts";
import type { Settings } from "../config/settings.ts";
import { installedTools } from "../install/installer.ts";
import { composeArgs, composeEnv } from "../runtime/docker/compose.ts";
import { hostAddress } from "../services/addresses.ts";

/** pg_dump, pg_restore and psql against the platform's PostgreSQL, in either mode. */
export interface PostgresTools {
  /** Runs one of the client programs; `stdin`/`stdout` are files it reads or writes. */
  run(
    program: "pg_dump" | "pg_restore" | "psql",
    args: string[],
    files?: { stdin?: string; stdout?: string },
  ): Promise<string>;
}

/**
 * Natively the client programs installed with the server, over TCP; in docker mode the
 * ones in the postgres container (`docker compose exec`), so the versions always match
 * the server's. Data goes through stdin and stdout, never a path inside the container.
 * The password goes in the environment (`-e PGPASSWORD` takes it from ours), never argv.
 */
export function postgresTools(s: Settings, mode: "native" | "docker"): PostgresTools {
  const login = ["--username", s.postgres.user];
  const env = { ...process.env, PGPASSWORD: s.postgres.password.reveal() };
  return {
    run(program, args, files = {}) {
      const [command, argv, childEnv] =
        mode === "native"
          ? [
              join(installedTools(s.paths.cache).postgresBin, program),
              [
                "--host",
                hostAddress(s),
                "--port",
                String(s.ports.POSTGRES_PORT),
                ...login,
                ...args,
              ],
              env,
            ]
          : [
              "docker",
              composeArgs(
                s,
                "exec",
                "-T",
                "-e",
                "PGPASSWORD",
                "postgres",
                program,
                // Over TCP inside the container, as its health check: the server's socket
                // is in /tmp, not where the client programs look for it.
                ...["--host", "127.0.0.1"],
                ...login,
                ...args,
              ),
              { ...composeEnv(s), PGPASSWORD: env.PGPASSWORD },
            ];
      return runWithFiles(program, command, argv, childEnv, files);
    },
  };
}

function runWithFiles(
  program: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  files: { stdin?: string; stdout?: string },
): Promise<string> {
  const stdin = files.stdin ? openSync(files.stdin, "r") : "ignore";
  const stdout = files.stdout ? openSync(files.stdout, "w", 0o600) : "pipe";
  return new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: [stdin, stdout, "pipe"] });
    let out = "";
    let err = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code === 0) resolve(out);
      else
        reject(
          new UserError(
            `${program} failed (exit ${code}): ${err.trim().slice(-1000)}\n` +
              "  Is PostgreSQL up? See ./lakehouse status and ./lakehouse logs postgres",
          ),
        );
    });
  }).finally(() => {
    if (typeof stdin === "number") closeSync(stdin);
    if (typeof stdout === "number") closeSync(stdout);
  });
}
