import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { isAlive } from "./native/supervisor.ts";

/**
 * Runs `fn` while holding a lock shared by every `lakehouse` process of this install (a
 * folder, created atomically). A lock whose holder died is taken over. The holder is
 * named by host and pid: processes of several containers share the folder in docker mode,
 * and a pid means something only on its own host; another host's lock is taken over once
 * it is older than any holder may hold it.
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
      writeFileSync(owner, `${hostname()} ${process.pid}`);
      break;
    } catch {
      let host = "";
      let holder = Number.NaN;
      try {
        const [name = "", pid = ""] = readFileSync(owner, "utf8").split(" ");
        host = name;
        holder = pid ? Number(pid) : Number.NaN;
      } catch {
        // Just created, pid not written yet.
      }
      const age = Date.now() - lockCreatedAt(path);
      const dead =
        Number.isInteger(holder) && holder > 0 && host === hostname()
          ? !isAlive(holder)
          : age > timeoutMs;
      // No pid after a few seconds: its holder died between creating and claiming it.
      const unclaimed = Number.isNaN(holder) && age > 10_000;
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
