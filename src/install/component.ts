import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Reporter } from "../cli/reporter.ts";

/** Something native mode installs into the cache: a download or a build, pinned. */
export interface Component {
  name: string;
  version: string;
  /** Its folder under the cache, named by version so upgrades sit beside old installs. */
  folder: string;
  /** Fills `dir` (a fresh temporary folder) with the component. */
  build(dir: string, reporter: Reporter): Promise<void>;
}

const MARKER = ".lakehouse-installed";

export const componentDir = (cache: string, c: Component) => join(cache, c.folder);

/** Installed means the marker written as the last step of a complete install is there. */
export function isInstalled(cache: string, c: Component): boolean {
  const marker = join(componentDir(cache, c), MARKER);
  return existsSync(marker) && readFileSync(marker, "utf8").trim() === c.version;
}

/**
 * Installs into a temporary sibling and renames it into place, so an interrupted
 * install leaves nothing that looks complete. Returns false when already installed.
 */
export async function ensureInstalled(
  cache: string,
  c: Component,
  reporter: Reporter,
): Promise<boolean> {
  if (isInstalled(cache, c)) return false;
  const target = componentDir(cache, c);
  const temp = `${target}.partial-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp, { recursive: true });
  try {
    await c.build(temp, reporter);
    writeFileSync(join(temp, MARKER), `${c.version}\n`);
    rmSync(target, { recursive: true, force: true });
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
  return true;
}
