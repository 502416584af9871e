import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDotenv } from "../config/dotenv.ts";
import { projectRoot } from "../config/paths.ts";

/**
 * Pinned versions of what native mode installs (DESIGN: never `latest`), from versions.env
 * at the repository's root: the Dockerfiles read the same file, so both runtimes run the
 * same versions. SeaweedFS's is the requirement of the wrapper module both build from.
 */
const pinned = parseDotenv(readFileSync(join(projectRoot, "versions.env"), "utf8"));

function pin(name: string): string {
  const value = pinned[name];
  if (!value) throw new Error(`versions.env has no ${name}`);
  return value;
}

/** The wrapper module that builds `weed` in both runtimes. */
export const SEAWEEDFS_BUILD_MODULE = join(projectRoot, "services", "seaweedfs", "go.mod");

function seaweedfsVersion(): string {
  const goMod = readFileSync(SEAWEEDFS_BUILD_MODULE, "utf8");
  const version = /^require github\.com\/seaweedfs\/seaweedfs (\S+)$/m.exec(goMod)?.[1];
  if (!version) throw new Error(`${SEAWEEDFS_BUILD_MODULE} requires no SeaweedFS version`);
  return version;
}

export const VERSIONS = {
  trino: pin("TRINO_VERSION"),
  icebergRest: pin("ICEBERG_REST_VERSION"),
  postgresJdbc: pin("POSTGRES_JDBC_VERSION"),
  postgresMajor: pin("POSTGRES_MAJOR"),
  seaweedfs: seaweedfsVersion(),
} as const;

/** Trino 476 needs a JDK 24 or newer. */
export const MIN_JAVA = 24;

export const MAVEN_CENTRAL = "https://repo1.maven.org/maven2";

export function mavenUrl(group: string, artifact: string, version: string, file: string): string {
  return `${MAVEN_CENTRAL}/${group.replaceAll(".", "/")}/${artifact}/${version}/${file}`;
}
