import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statfsSync } from "node:fs";
import { totalmem } from "node:os";
import { dirname } from "node:path";
import { findJdk, findPostgresBin, findValkey, which } from "./toolchain.ts";
import { MIN_JAVA } from "./versions.ts";

/** One preflight finding: what was checked, what was seen, and how to fix it. */
export interface Finding {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
  /** A Debian package that provides it, which `install` can add when run as root. */
  debianPackage?: string;
  /** A warning does not stop `up`. */
  severity: "error" | "warning";
}

export class PrerequisiteError extends Error {
  constructor(readonly findings: Finding[]) {
    super(
      `Missing prerequisites:\n${findings.map((f) => `  - ${f.name}: ${f.detail}\n    fix: ${f.fix}`).join("\n")}`,
    );
  }
}

export function checkJava(): Finding {
  const jdk = findJdk();
  return jdk
    ? { name: "JDK", ok: true, detail: `Java ${jdk.major} at ${jdk.home}`, severity: "error" }
    : {
        name: "JDK",
        ok: false,
        detail: `no JDK ${MIN_JAVA}+ found (JAVA_HOME, LAKEHOUSE_JAVA_HOME, /usr/lib/jvm); Trino needs it`,
        fix: `install a JDK ${MIN_JAVA} or newer (e.g. Temurin 25) and set LAKEHOUSE_JAVA_HOME to its folder`,
        severity: "error",
      };
}

export function checkGo(): Finding {
  const go = which("go");
  if (!go) {
    return {
      name: "Go",
      ok: false,
      detail: "not on PATH; needed once to build SeaweedFS's weed",
      fix: "install Go 1.26 or newer (https://go.dev/doc/install) and put it on PATH",
      severity: "error",
    };
  }
  const version = execFileSync(go, ["version"], { encoding: "utf8" }).trim();
  const [, major = "0", minor = "0"] = /go(\d+)\.(\d+)/.exec(version) ?? [];
  const ok = Number(major) > 1 || Number(minor) >= 26;
  return {
    name: "Go",
    ok,
    detail: version,
    fix: ok ? undefined : "install Go 1.26 or newer (https://go.dev/doc/install)",
    severity: "error",
  };
}

export function checkPostgres(): Finding {
  const bin = findPostgresBin();
  return bin && which("pg_isready")
    ? { name: "PostgreSQL", ok: true, detail: `server programs in ${bin}`, severity: "error" }
    : {
        name: "PostgreSQL",
        ok: false,
        detail: "server programs (initdb, postgres, pg_isready) not found",
        fix: "sudo apt-get install -y postgresql",
        debianPackage: "postgresql",
        severity: "error",
      };
}

export function checkValkey(): Finding {
  const found = findValkey();
  return found
    ? { name: "Valkey", ok: true, detail: found.server, severity: "error" }
    : {
        name: "Valkey",
        ok: false,
        detail: "neither valkey-server nor redis-server is installed",
        fix: "sudo apt-get install -y redis-server   (Redis speaks the same protocol)",
        debianPackage: "redis-server",
        severity: "error",
      };
}

/** Debian's Chromium: only the browser tests need it (Playwright drives it, no download). */
export function checkChromium(
  path = process.env.LAKEHOUSE_CHROMIUM ?? "/usr/bin/chromium",
): Finding {
  return existsSync(path)
    ? { name: "Chromium", ok: true, detail: path, severity: "error" }
    : {
        name: "Chromium",
        ok: false,
        detail: `no browser at ${path} (the browser tests need one)`,
        fix: "sudo apt-get install -y chromium   (or set LAKEHOUSE_CHROMIUM)",
        debianPackage: "chromium",
        severity: "error",
      };
}

export function checkPython(): Finding {
  const python = which("python3");
  if (!python) {
    return {
      name: "Python",
      ok: false,
      detail: "python3 not on PATH",
      fix: "sudo apt-get install -y python3 python3-venv",
      debianPackage: "python3-venv",
      severity: "error",
    };
  }
  // Debian splits venv's bootstrap (ensurepip) into its own package.
  try {
    execFileSync(python, ["-c", "import ensurepip, venv"], { stdio: "ignore" });
  } catch {
    return {
      name: "Python",
      ok: false,
      detail: `${python} cannot create virtual environments (no ensurepip)`,
      fix: "sudo apt-get install -y python3-venv",
      debianPackage: "python3-venv",
      severity: "error",
    };
  }
  return { name: "Python", ok: true, detail: python, severity: "error" };
}

/** Free space where `path` lives (the nearest existing parent). */
export function checkDisk(path: string, neededGiB: number, what: string): Finding {
  let probe = path;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  const stats = statfsSync(probe);
  const freeGiB = (stats.bavail * stats.bsize) / 1024 ** 3;
  const ok = freeGiB >= neededGiB;
  return {
    name: `Disk (${what})`,
    ok,
    detail: `${freeGiB.toFixed(1)} GiB free at ${probe}`,
    fix: ok
      ? undefined
      : `free at least ${neededGiB} GiB there, or point ${what === "install cache" ? "LAKEHOUSE_CACHE_DIR" : "LAKEHOUSE_HOME"} elsewhere`,
    severity: "error",
  };
}

export function checkMemory(): Finding {
  const gib = totalmem() / 1024 ** 3;
  const ok = gib >= 8;
  return {
    name: "Memory",
    ok,
    detail: `${gib.toFixed(1)} GiB total`,
    fix: ok
      ? undefined
      : "the whole stack wants about 8 GiB; lower TRINO_HEAP in .env on small machines",
    severity: "warning",
  };
}

/** `apt-get install` for missing packages when we may (root with apt); otherwise a clear error. */
export function installDebianPackages(findings: Finding[], log: (line: string) => void): void {
  const packages = findings.map((f) => f.debianPackage).filter((p): p is string => !!p);
  if (packages.length === 0) return;
  if (process.getuid?.() !== 0 || !which("apt-get")) throw new PrerequisiteError(findings);
  log(`Installing Debian packages: ${packages.join(" ")}`);
  // Keep the packages' own services from starting (they would take our ports): a
  // policy-rc.d that answers 101 is Debian's documented way to say "do not start".
  const policy = "/usr/sbin/policy-rc.d";
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) {
    mkdirSync(dirname(policy), { recursive: true });
    execFileSync("sh", [
      "-c",
      `printf '#!/bin/sh\\nexit 101\\n' > ${policy} && chmod +x ${policy}`,
    ]);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], {
      stdio: "inherit",
      env,
    });
  } finally {
    if (ownPolicy) execFileSync("rm", ["-f", policy]);
  }
}
