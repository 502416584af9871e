import { readRepoFile } from "./compose-file.ts";

/**
 * versions.env, the one place for pinned versions: read by src/install/versions.ts and
 * sourced by the Dockerfiles and scripts/docker-engine.sh. A value both read it the same
 * way only when it is plain (no quotes, spaces or `$`), so anything else is a problem.
 */
export interface VersionsEnv {
  values: Record<string, string>;
  problems: string[];
}

export function parseVersionsEnv(text: string): VersionsEnv {
  const values: Record<string, string> = {};
  const problems: string[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const m = /^([A-Z][A-Z0-9_]*)=([A-Za-z0-9._:/+-]+)$/.exec(line);
    if (!m?.[1] || !m[2]) {
      problems.push(`line ${index + 1}: not KEY=value with a plain value: ${line}`);
      return;
    }
    if (m[1] in values) problems.push(`line ${index + 1}: ${m[1]} is defined twice`);
    values[m[1]] = m[2];
  });
  return { values, problems };
}

export const readVersionsEnv = () => parseVersionsEnv(readRepoFile("versions.env"));

/** The base images (KEY_IMAGE=name:tag): the only images a Dockerfile may start FROM. */
export const baseImages = (values: Record<string, string>) =>
  Object.entries(values)
    .filter(([key]) => key.endsWith("_IMAGE"))
    .map(([, image]) => image);
