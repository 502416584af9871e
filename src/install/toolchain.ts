import { existsSync, readdirSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { MIN_JAVA, VERSIONS } from "./versions.ts";

/** Finds an executable on PATH. */
export function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export interface Jdk {
  home: string;
  major: number;
}

function readJdk(home: string): Jdk | undefined {
  try {
    const release = readFileSync(join(home, "release"), "utf8");
    const version = /^JAVA_VERSION="?(\d+)/m.exec(release)?.[1];
    if (!version || !existsSync(join(home, "bin", "java"))) return undefined;
    return { home, major: Number(version) };
  } catch {
    return undefined;
  }
}

/**
 * The JDK for Trino: LAKEHOUSE_JAVA_HOME, else JAVA_HOME, else the newest JDK under
 * /usr/lib/jvm, provided it is at least MIN_JAVA.
 */
export function findJdk(env = process.env): Jdk | undefined {
  const explicit = [env.LAKEHOUSE_JAVA_HOME, env.JAVA_HOME].filter((h): h is string => !!h);
  for (const home of explicit) {
    const jdk = readJdk(home);
    if (jdk && jdk.major >= MIN_JAVA) return jdk;
  }
  const root = "/usr/lib/jvm";
  if (!existsSync(root)) return undefined;
  return readdirSync(root)
    .map((name) => readJdk(join(root, name)))
    .filter((jdk): jdk is Jdk => !!jdk && jdk.major >= MIN_JAVA)
    .sort((a, b) => b.major - a.major)[0];
}

/**
 * The directory holding PostgreSQL's server programs (initdb, postgres): the pinned major
 * version (versions.env, the one docker mode runs) when installed, else the newest.
 */
export function findPostgresBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const rank = (v: string) =>
      v === VERSIONS.postgresMajor ? Number.MAX_SAFE_INTEGER : Number(v);
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, "bin", "initdb")))
      .sort((a, b) => rank(b) - rank(a));
    if (versions[0]) return join(root, versions[0], "bin");
  }
  const initdb = which("initdb");
  return initdb ? join(initdb, "..") : undefined;
}

/** Valkey if installed, else Redis: the same wire protocol, and Debian 12 ships only Redis. */
export function findValkey(): { server: string; cli: string } | undefined {
  for (const [server, cli] of [
    ["valkey-server", "valkey-cli"],
    ["redis-server", "redis-cli"],
  ] as const) {
    const s = which(server);
    const c = which(cli);
    if (s && c) return { server: s, cli: c };
  }
  return undefined;
}
