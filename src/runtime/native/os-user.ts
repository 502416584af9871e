import { execFileSync } from "node:child_process";

export const isRoot = (): boolean => process.getuid?.() === 0;

/** uid and gid of a local account, e.g. the `postgres` user Debian's package creates. */
export function lookupUser(name: string): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    throw new Error(
      `No local user "${name}". Install PostgreSQL from your distribution (it creates the user): apt-get install postgresql`,
    );
  }
}
