import { join } from "node:path";
import type { Reporter } from "../cli/reporter.ts";
import { componentDir, ensureInstalled, isInstalled } from "./component.ts";
import {
  airflowPython,
  COMPONENTS,
  icebergRest,
  seaweedfs,
  supersetPython,
  trino,
} from "./components.ts";
import {
  checkDisk,
  checkGo,
  checkJava,
  checkPostgres,
  checkPython,
  checkValkey,
  installDebianPackages,
  PrerequisiteError,
} from "./prerequisites.ts";
import { findJdk, findPostgresBin, findValkey } from "./toolchain.ts";

/** Everything native mode runs, resolved to paths. */
export interface InstalledTools {
  java: string;
  trinoHome: string;
  /** Classpath of the catalog server: our launcher class first, then the jars. */
  icebergRestClasspath: string[];
  weed: string;
  postgresBin: string;
  valkeyServer: string;
  /** The interpreter of the Python environment Airflow and the pipeline run in. */
  python: string;
  /** The interpreter of Superset's Python environment. */
  supersetPython: string;
}

/** True when `install` has nothing left to do. */
export function isFullyInstalled(cache: string): boolean {
  return (
    COMPONENTS.every((c) => isInstalled(cache, c)) &&
    !!findJdk() &&
    !!findPostgresBin() &&
    !!findValkey()
  );
}

/**
 * Installs what native mode needs, skipping whatever is already there: Debian packages
 * (as root), then Trino, the Iceberg REST catalog and SeaweedFS into the cache.
 * Returns how many components it installed (0 on a second run).
 */
export async function install(cache: string, reporter: Reporter): Promise<number> {
  const system = [checkPostgres(), checkValkey(), checkPython()].filter((f) => !f.ok);
  installDebianPackages(system, (line) => reporter.info(line));
  const blocking = [checkJava(), checkDisk(cache, 3, "install cache")].filter((f) => !f.ok);
  if (!isInstalled(cache, seaweedfs)) blocking.push(...[checkGo()].filter((f) => !f.ok));
  if (blocking.length > 0) throw new PrerequisiteError(blocking);

  let installed = system.length;
  for (const component of COMPONENTS) {
    const label = `${component.name} ${component.version}`;
    if (isInstalled(cache, component)) {
      reporter.info(`✓ ${label}: already installed in ${componentDir(cache, component)}`);
      continue;
    }
    const done = reporter.step(`Installing ${label}`);
    await ensureInstalled(cache, component, reporter);
    done(`installed in ${componentDir(cache, component)}`);
    installed++;
  }
  return installed;
}

/** Paths of the installed tools; throws with the fix when something is missing. */
export function installedTools(cache: string): InstalledTools {
  const missing = COMPONENTS.filter((c) => !isInstalled(cache, c));
  const findings = [checkJava(), checkPostgres(), checkValkey()].filter((f) => !f.ok);
  if (missing.length > 0) {
    throw new Error(
      `Not installed: ${missing.map((c) => c.name).join(", ")}. Run: ./lakehouse install`,
    );
  }
  if (findings.length > 0) throw new PrerequisiteError(findings);
  const jdk = findJdk() as NonNullable<ReturnType<typeof findJdk>>;
  const rest = componentDir(cache, icebergRest);
  return {
    java: join(jdk.home, "bin", "java"),
    trinoHome: componentDir(cache, trino),
    icebergRestClasspath: [
      join(rest, "classes"),
      join(rest, "iceberg-open-api.jar"),
      join(rest, "postgresql.jar"),
    ],
    weed: join(componentDir(cache, seaweedfs), "weed"),
    postgresBin: findPostgresBin() as string,
    valkeyServer: (findValkey() as NonNullable<ReturnType<typeof findValkey>>).server,
    python: join(componentDir(cache, airflowPython), "bin", "python"),
    supersetPython: join(componentDir(cache, supersetPython), "bin", "python"),
  };
}
