import { describe, expect, it } from "vitest";
import { readRepoFile, repoPathExists } from "./compose/compose-file.ts";
import { listFiles, pins, services, withoutComments } from "./compose/context.ts";
import {
  instructions,
  lintDockerfile,
  sentToBuilder,
  splitFlags,
} from "./compose/dockerfile-rules.ts";

// Static checks of docker mode (docker-compose.yml, the Dockerfiles, versions.env): no
// Docker engine is needed; shared fixtures are in ./compose/context.ts.

describe("Dockerfiles", () => {
  const dockerfiles = listFiles("docker").filter((f) => f.endsWith("/Dockerfile"));

  it("are each built by a compose service", () => {
    const built = services.flatMap(([, s]) => (s.build?.dockerfile ? [s.build.dockerfile] : []));
    expect(dockerfiles.sort()).toEqual([...new Set(built)].sort());
  });

  it.each(dockerfiles)("%s passes the linter and the project's rules", (file) => {
    expect(lintDockerfile(readRepoFile(file), pins)).toEqual([]);
  });

  it("copy only files that exist and that .dockerignore sends to the builder", () => {
    const ignore = readRepoFile(".dockerignore");
    expect(sentToBuilder("docker/x/Dockerfile", "*\n!docker/")).toBe(true);
    expect(sentToBuilder("docs/docker.md", "*\n!docker/")).toBe(false);
    expect(sentToBuilder("a/b.lock", "*\n!a/b.lock")).toBe(true);
    for (const file of dockerfiles) {
      for (const i of instructions(readRepoFile(file))) {
        if (i.keyword !== "COPY" && i.keyword !== "ADD") continue;
        const { flags, words } = splitFlags(i.args);
        if (flags.from !== undefined) continue;
        for (const source of words.slice(0, -1)) {
          expect(repoPathExists(source), `${file}:${i.line} ${source}`).toBe(true);
          expect(sentToBuilder(source, ignore), `${file}:${i.line} ${source}`).toBe(true);
        }
      }
    }
  });

  it("download through helpers that check every file against its SHA-1", () => {
    for (const file of ["docker/maven-fetch.sh", "docker/npm-fetch.sh"]) {
      const code = withoutComments(readRepoFile(file));
      expect(code, file).toMatch(/^set -eu/m);
      for (const curl of code.matchAll(/\bcurl\b[^\n]*/g))
        expect(curl[0], file).toContain("--fail");
      const outputs = [...code.matchAll(/--output "(\$\d)"/g)].map((m) => m[1] ?? "");
      expect(outputs.length, file).toBeGreaterThan(0);
      for (const output of outputs)
        expect(code, `${file}: ${output} is not checked`).toMatch(
          new RegExp(`echo "[^"]*  \\${output}" \\| sha(1|256)sum -c -`),
        );
    }
  });

  it("rules catch a base outside versions.env, unverified or early downloads and ending as root", () => {
    const problems = lintDockerfile(
      [
        "FROM apache/superset:latest",
        "FROM apache/airflow",
        "FROM debian:bookworm-slim AS build",
        "RUN apt-get update && apt-get install -y curl",
        "COPY docker/build-ca/ /usr/local/share/ca-certificates/lakehouse/",
        "RUN curl -o /tmp/x.tgz https://example.org/x.tgz",
        "ADD --checksum=sha256:00 https://example.org/y.jar /y.jar",
        "RUN --mount=type=cache,target=/var/cache/pip pip install trino",
        "RUN . /app/.venv/bin/activate && uv pip install trino",
        "RUN sh /tmp/maven-fetch.sh io.trino trino-server-core 476 trino-server-core-476.tar.gz /s",
        "COPY --from=trinodb/trino:476 /usr/lib/trino /opt/trino",
        "FROM debian:trixie-slim",
        "COPY docker/build-ca/ /usr/local/share/ca-certificates/lakehouse/",
        "RUN apt-get update && apt-get install -y python3 && update-ca-certificates",
        "RUN node /tmp/npm/bin/npm-cli.js install",
        'RUN echo "$TRINO_VERSION"',
        "USER root",
        "MAINTAINER someone",
      ].join("\n"),
      { ...pins, TRINO_VERSION: "476" },
    ).join("\n");
    expect(problems).toMatch(/line 1: FROM apache\/superset:latest uses latest/);
    expect(problems).toMatch(
      /line 1: FROM apache\/superset:latest is not a base image of versions/,
    );
    expect(problems).toMatch(/line 2: FROM apache\/airflow has no tag/);
    expect(problems).toMatch(/line 4: downloads \(apt-get\) before COPY docker\/build-ca\//);
    expect(problems).toMatch(/line 6: downloads \(curl\) before update-ca-certificates/);
    expect(problems).toMatch(/line 6: downloads with curl without checking a checksum/);
    expect(problems).toMatch(/line 7: ADD of a URL/);
    expect(problems).toMatch(/line 7: ADD --checksum/);
    expect(problems).toMatch(/line 8: RUN --mount/);
    expect(problems).toMatch(/line 8: pip install without --no-cache-dir/);
    expect(problems).toMatch(/line 8: pip install of something else than a lock file/);
    expect(problems).toMatch(/line 9: uv pip install without --no-cache$/m);
    expect(problems).toMatch(/line 10: \S*maven-fetch\.sh with a version that is not a versions/);
    expect(problems).toMatch(/line 10: writes 476, the value of TRINO_VERSION/);
    expect(problems).toMatch(/line 11: COPY --from=trinodb\/trino:476 is not an earlier stage/);
    expect(problems).toMatch(/line 14: apt-get install without cleaning the lists/);
    // A build stage's package lists never reach the image.
    expect(problems).not.toMatch(/line 4: apt-get install without cleaning/);
    expect(problems).toMatch(/line 15: npm without ci/);
    expect(problems).toMatch(/line 16: uses \$TRINO_VERSION without first sourcing/);
    expect(problems).toMatch(/ends as root/);
    expect(problems).toMatch(/MAINTAINER has been deprecated/);
  });
});
