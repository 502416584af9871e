import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import type { Settings } from "../../config/settings.ts";

/**
 * Docker mode: `docker compose` over the repo's docker-compose.yml with this install's
 * .env, whichever folder that lives in (LAKEHOUSE_ENV_FILE).
 */
export function composeArgs(s: Settings, ...command: string[]): string[] {
  return [
    "compose",
    "--project-directory",
    s.paths.root,
    "--file",
    join(s.paths.root, "docker-compose.yml"),
    "--env-file",
    s.paths.envFile,
    ...command,
  ];
}

/** Runs `docker compose …` with its own progress output on the terminal; resolves to its exit code. */
export function compose(s: Settings, ...command: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("docker", composeArgs(s, ...command), { stdio: "inherit" });
    child.once("error", reject);
    child.once("exit", (code) => resolve(code ?? 1));
  });
}

/** What docker mode lacks here, or undefined when an engine and the compose plugin answer. */
export function composeAvailable(): string | undefined {
  const answers = (...args: string[]) => {
    try {
      execFileSync("docker", args, { stdio: "ignore", timeout: 10_000 });
      return true;
    } catch {
      return false;
    }
  };
  if (!answers("compose", "version"))
    return "the Docker Compose plugin (`docker compose version` fails)";
  if (!answers("info")) return "a running Docker engine (`docker info` fails)";
  return undefined;
}
