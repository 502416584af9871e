import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive } from "./native/supervisor.ts";

/**
 * Runs `fn` while holding a lock shared by every `lakehouse` process of this install (a
 * folder, created atomically). A lock whose holder died is taken over.
 */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T>,
  timeoutMs = 600_000,
): Promise<T> {
  const owner = join(path, "pid");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(owner, String(process.pid));
      break;
    } catch {
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(owner, "utf8"));
      } catch {
        // Just created, pid not written yet.
      }
      const dead = Number.isInteger(holder) && holder > 0 && !isAlive(holder);
      // No pid after a few seconds: its holder died between creating and claiming it.
      const unclaimed = Number.isNaN(holder) && Date.now() - lockCreatedAt(path) > 10_000;
      if (dead || unclaimed) {
        rmSync(path, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(`waited ${timeoutMs / 1000}s for the lock ${path}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { recursive: true, force: true });
  }
}

/** When the lock folder was made, in ms (0 once it is gone). */
function lockCreatedAt(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
