import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "../config/paths.ts";
import type { Component } from "./component.ts";
import { downloadVerified } from "./download.ts";
import { findJdk } from "./toolchain.ts";
import { mavenUrl, SEAWEEDFS_BUILD_MODULE, VERSIONS } from "./versions.ts";

const run = promisify(execFile);

/** Trino's core server plus the Iceberg connector, which the core tarball leaves out. */
export const trino: Component = {
  name: "Trino",
  version: VERSIONS.trino,
  folder: `trino-server-${VERSIONS.trino}`,
  async build(dir, reporter) {
    const v = VERSIONS.trino;
    const tarball = join(dir, "server.tar.gz");
    await downloadVerified(
      mavenUrl("io.trino", "trino-server-core", v, `trino-server-core-${v}.tar.gz`),
      tarball,
      reporter,
    );
    await run("tar", ["-xzf", tarball, "-C", dir, "--strip-components=1"]);
    rmSync(tarball);
    const zip = join(dir, "iceberg.zip");
    await downloadVerified(
      mavenUrl("io.trino", "trino-iceberg", v, `trino-iceberg-${v}.zip`),
      zip,
      reporter,
    );
    // The zip holds one folder, trino-iceberg-<v>/, which becomes plugin/iceberg.
    await run("python3", ["-m", "zipfile", "-e", zip, join(dir, "plugin")]);
    renameSync(join(dir, "plugin", `trino-iceberg-${v}`), join(dir, "plugin", "iceberg"));
    rmSync(zip);
  },
};

const launcherSource = join(projectRoot, "services", "iceberg-rest", "LocalRESTCatalogServer.java");
const launcherHash = createHash("sha256")
  .update(readFileSync(launcherSource))
  .digest("hex")
  .slice(0, 8);

/**
 * The Iceberg REST catalog: the runnable fat jar of iceberg-open-api, with the PostgreSQL
 * JDBC driver beside it so the catalog lives in PostgreSQL instead of in-memory SQLite,
 * and our small launcher class (services/iceberg-rest/) that binds to 127.0.0.1.
 */
export const icebergRest: Component = {
  name: "Iceberg REST catalog",
  version: `${VERSIONS.icebergRest}+pgjdbc-${VERSIONS.postgresJdbc}+launcher-${launcherHash}`,
  folder: `iceberg-rest-${VERSIONS.icebergRest}`,
  async build(dir, reporter) {
    const v = VERSIONS.icebergRest;
    await downloadVerified(
      mavenUrl("org.apache.iceberg", "iceberg-open-api", v, `iceberg-open-api-${v}.jar`),
      join(dir, "iceberg-open-api.jar"),
      reporter,
    );
    const pg = VERSIONS.postgresJdbc;
    await downloadVerified(
      mavenUrl("org.postgresql", "postgresql", pg, `postgresql-${pg}.jar`),
      join(dir, "postgresql.jar"),
      reporter,
    );
    const jdk = findJdk();
    if (!jdk)
      throw new Error("No JDK found to compile the catalog launcher; run ./lakehouse doctor");
    await run(join(jdk.home, "bin", "javac"), [
      "--release",
      "17",
      "-cp",
      join(dir, "iceberg-open-api.jar"),
      "-d",
      join(dir, "classes"),
      launcherSource,
    ]);
  },
};

/**
 * SeaweedFS's `weed`, built from the Go module proxy through the wrapper module
 * services/seaweedfs/go.mod (its image builds from the same). CGO is off: a static binary
 * needs no system libraries.
 */
export const seaweedfs: Component = {
  name: "SeaweedFS",
  version: VERSIONS.seaweedfs,
  folder: `seaweedfs-${VERSIONS.seaweedfs.split("-").pop()}`,
  async build(dir, reporter) {
    const module = "github.com/seaweedfs/seaweedfs";
    const work = join(dir, "build");
    await run("mkdir", ["-p", work]);
    copyFileSync(SEAWEEDFS_BUILD_MODULE, join(work, "go.mod"));
    // Private module and build caches, deleted after the build: they hold about 4 GB for
    // this one binary, which should not stay behind in the user's Go caches.
    const env = {
      ...process.env,
      CGO_ENABLED: "0",
      GOFLAGS: "-mod=mod",
      GOMODCACHE: join(work, "gomod"),
      GOCACHE: join(work, "gocache"),
    };
    const started = Date.now();
    const heartbeat = setInterval(() => {
      reporter.info(
        `  still building weed (${Math.round((Date.now() - started) / 1000)}s; several minutes on 2 cores)`,
      );
    }, 30_000);
    try {
      await run(
        "go",
        ["build", "-trimpath", "-ldflags", "-s -w", "-o", join(dir, "weed"), `${module}/weed`],
        {
          cwd: work,
          env,
          maxBuffer: 64 * 1024 * 1024,
        },
      );
    } finally {
      clearInterval(heartbeat);
    }
    // Go makes module files read-only; its own clean removes them for any user.
    await run("go", ["clean", "-modcache"], { cwd: work, env });
    rmSync(work, { recursive: true, force: true });
    if (!readdirSync(dir).includes("weed")) throw new Error("go build produced no weed binary");
  },
};

/**
 * A Python environment from pinned requirement files (paths from the repository root; the
 * last is installed, the others are what it includes), in a folder named by their hash,
 * so a change of pins builds a new one beside the old.
 */
export function pythonEnvironment(name: string, prefix: string, requirements: string[]): Component {
  const files = requirements.map((file) => join(projectRoot, file));
  const hash = createHash("sha256");
  for (const file of files) hash.update(readFileSync(file));
  const version = hash.digest("hex").slice(0, 8);
  return {
    name,
    version,
    folder: `${prefix}-${version}`,
    async build(dir, reporter) {
      await run("python3", ["-m", "venv", dir]);
      const heartbeat = setInterval(
        () => reporter.info("  still installing Python packages..."),
        30_000,
      );
      try {
        // `python -m pip`, never bin/pip: the folder is renamed into place after this, and
        // scripts keep the old path in their first line while the interpreter does not.
        const pip = [
          "-m",
          "pip",
          "install",
          "--quiet",
          "--disable-pip-version-check",
          "-r",
          files.at(-1) as string,
        ];
        await run(join(dir, "bin", "python"), pip, {
          cwd: dirname(files.at(-1) as string),
          maxBuffer: 64 * 1024 * 1024,
        });
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}

/**
 * The one Python environment native mode runs Python in: Airflow (every process of it)
 * and the ingestion pipeline its tasks import, from the lock file.
 */
export const airflowPython = pythonEnvironment("Airflow Python environment", "python-airflow", [
  "loader/requirements.txt",
  "airflow/requirements-airflow.in",
  "airflow/requirements-airflow.lock",
]);

/** Superset and its Trino driver, from services/superset/requirements.lock. */
export const supersetPython = pythonEnvironment("Superset Python environment", "python-superset", [
  "services/superset/requirements.in",
  "services/superset/requirements.lock",
]);

export const COMPONENTS: readonly Component[] = [
  trino,
  icebergRest,
  seaweedfs,
  airflowPython,
  supersetPython,
];
