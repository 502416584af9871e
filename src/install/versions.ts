/** Pinned versions of everything native mode installs (DESIGN: never `latest`). */
export const VERSIONS = {
  trino: "476",
  icebergRest: "1.10.1",
  postgresJdbc: "42.7.14",
  // A pseudo-version from the Go module proxy: SeaweedFS publishes no module tags.
  seaweedfs: "v0.0.0-20261109003541-7506e5f91cd6",
} as const;

/** Trino 476 needs a JDK 24 or newer. */
export const MIN_JAVA = 24;

export const MAVEN_CENTRAL = "https://repo1.maven.org/maven2";

export function mavenUrl(group: string, artifact: string, version: string, file: string): string {
  return `${MAVEN_CENTRAL}/${group.replaceAll(".", "/")}/${artifact}/${version}/${file}`;
}
