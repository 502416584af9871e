import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The checkout this code runs from: config files under services/ are read from here. The
 * nearest folder up that holds versions.env: the same from src/config/ as from the CLI's
 * compiled chunks under dist/ (scripts/build-cli.mjs).
 */
export const projectRoot = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "versions.env"))) return dir;
    if (dirname(dir) === dir) return resolve(from, "../.."); // not in a checkout: as laid out
  }
}

type Env = Record<string, string | undefined>;

/**
 * Downloads and builds (Trino, jars, `weed`) live in the user's cache directory, outside
 * the checkout, so a fresh clone reuses them instead of fetching ~800 MB again.
 */
export function cacheDir(env: Env = process.env): string {
  if (env.LAKEHOUSE_CACHE_DIR) return resolve(env.LAKEHOUSE_CACHE_DIR);
  const xdg = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(xdg, "lakehouse");
}

/** Runtime state of the native stack: databases, object store volumes, logs, pid files. */
export function stateDir(env: Env = process.env): string {
  return resolve(env.LAKEHOUSE_HOME || join(projectRoot, ".lakehouse"));
}

/** The generated settings file holding this install's secrets. */
export function envFile(env: Env = process.env): string {
  return resolve(env.LAKEHOUSE_ENV_FILE || join(projectRoot, ".env"));
}

/** The CSV drop zone and other user data (mounted into Airflow in docker mode). */
export function dataDir(env: Env = process.env): string {
  return resolve(env.LAKEHOUSE_DATA_DIR || join(projectRoot, "data"));
}
