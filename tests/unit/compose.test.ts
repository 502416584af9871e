import { readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { GENERATED_SECRETS, PORT_DEFAULTS, type PortName } from "../../src/config/settings.ts";
import { VERSIONS } from "../../src/install/versions.ts";
import { CATALOGUE } from "../../src/services/catalogue.ts";
import {
  type ComposeFile,
  composeText,
  healthTestText,
  interpolations,
  isOneShot,
  isScaleOut,
  loadCompose,
  mounts,
  parsePublishedPort,
  ROOT,
  readRepoFile,
  repoPathExists,
  type Service,
} from "./compose/compose-file.ts";
import { EXACT_TAG, imageTag, instructions, lintDockerfile } from "./compose/dockerfile-rules.ts";
import { expandContainerNames, tableAfterHeading } from "./compose/markdown.ts";

// docker-compose.yml is checked statically: no Docker engine is needed. Every test reads
// only files of this repository.
const compose = loadCompose();
const services = Object.entries(compose.services);
const service = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
};
const spec = readRepoFile("docs/architecture.md");

/** How the spec's tables name a service, and which compose services that means. */
const SPEC_LABELS: Record<string, string[]> = {
  PostgreSQL: ["postgres"],
  Valkey: ["valkey"],
  "SeaweedFS Master": ["seaweedfs-master"],
  "SeaweedFS Volume": ["seaweedfs-volume"],
  "SeaweedFS Filer": ["seaweedfs-filer"],
  "SeaweedFS S3": ["seaweedfs-s3"],
  "Airflow Webserver": ["airflow-apiserver"],
  "Airflow Scheduler": ["airflow-scheduler"],
  "Airflow Worker": ["airflow-worker"],
  "Airflow Flower": ["airflow-flower"],
  "Iceberg REST Catalog": ["iceberg-rest"],
  Trino: ["trino"],
  Superset: ["superset"],
  Airflow: services.filter(([, s]) => s.image?.startsWith("lakehouse/airflow:")).map(([n]) => n),
};
const servicesFor = (label: string): string[] => {
  const names = SPEC_LABELS[label];
  if (!names) throw new Error(`The spec names a service "${label}": add it to SPEC_LABELS`);
  return names;
};

/** Secrets: generated into .env, never given a default in the compose file. */
const SECRETS: readonly string[] = GENERATED_SECRETS;

describe("docker-compose.yml against the Compose Specification schema", () => {
  const require = createRequire(import.meta.url);
  // Strict, so an unknown keyword in the schema is an error rather than silently ignored;
  // strictTypes only judges the schema's style (the spec puts additionalProperties beside
  // "type": "array" in one place, which no document can trip), so it is off.
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
  // The schema names draft-07 by its https address, which Ajv knows only as http: register
  // the alias rather than switching schema validation off.
  ajv.addMetaSchema({
    ...require("ajv/dist/refs/json-schema-draft-07.json"),
    $id: "https://json-schema.org/draft-07/schema",
  });
  const validate = ajv.compile(JSON.parse(readRepoFile("tests/unit/compose/compose-spec.json")));
  const errors = (doc: unknown) =>
    validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

  it("is valid", () => {
    expect(errors(compose)).toEqual([]);
  });

  it("rejects what Compose would reject, so a pass means something", () => {
    const broken = (change: (c: ComposeFile) => void) => {
      const copy = structuredClone(compose);
      change(copy);
      return errors(copy);
    };
    expect(
      broken((c) => {
        (c.services.trino as unknown as Record<string, unknown>).healthchek = {};
      }),
    ).not.toEqual([]);
    expect(
      broken((c) => {
        const deps = c.services.trino?.depends_on;
        if (deps?.["iceberg-rest"]) deps["iceberg-rest"].condition = "service_ready";
      }),
    ).not.toEqual([]);
    expect(
      broken((c) => {
        (c as unknown as Record<string, unknown>).service = c.services;
      }),
    ).not.toEqual([]);
  });
});

describe("docker-compose.yml implements docs/architecture.md", () => {
  it("attaches every service to the one bridge network, lakehouse-network", () => {
    expect(compose.networks["lakehouse-network"]).toEqual({
      name: "lakehouse-network",
      driver: "bridge",
    });
    for (const [name, s] of services) expect(s.networks, name).toEqual(["lakehouse-network"]);
  });

  it("has every container name of the service table", () => {
    const rows = tableAfterHeading(spec, "Service Responsibilities");
    const names = new Set(services.map(([, s]) => s.container_name));
    const expected = rows.flatMap((r) => expandContainerNames(r["Container Name"] ?? ""));
    expect(expected).toContain("lakehouse-seaweedfs-volume");
    for (const name of expected) expect(names, name).toContain(name);
  });

  it("resolves every internal DNS name to a service that always starts", () => {
    for (const row of tableAfterHeading(spec, "Internal DNS Names")) {
      const name = row.Hostname ?? "";
      const s = service(name);
      // Compose's DNS name is the service name; a different hostname would only confuse.
      expect(s.hostname ?? name).toBe(name);
      expect(isScaleOut(s), name).toBe(false);
    }
  });

  it("publishes every port of the port table, with the spec's default host port", () => {
    for (const row of tableAfterHeading(spec, "Port Mapping")) {
      const [name] = servicesFor(row.Service ?? "");
      const published = (service(name ?? "").ports ?? []).map(parsePublishedPort);
      expect(published, `${row.Service}`).toContainEqual(
        expect.objectContaining({
          containerPort: Number(row["Container Port"]),
          defaultHostPort: Number(row["Host Port"]),
        }),
      );
    }
  });

  it("declares every named volume of the volume table and mounts it where the spec says", () => {
    const rows = tableAfterHeading(spec, "Volume Strategy");
    expect(Object.keys(compose.volumes).sort()).toEqual(rows.map((r) => r.Volume).sort());
    for (const row of rows) {
      for (const name of servicesFor(row.Service ?? "")) {
        const named = mounts(service(name)).filter((m) => m.kind === "named");
        expect(
          named.map((m) => m.source),
          name,
        ).toContain(row.Volume);
      }
    }
  });

  it("bind-mounts ./data into every Airflow container at /opt/airflow/data", () => {
    expect(spec).toContain("bind-mounted into Airflow containers at\n`/opt/airflow/data`");
    const airflow = servicesFor("Airflow");
    expect(airflow.length).toBeGreaterThanOrEqual(7);
    for (const name of airflow) {
      expect(mounts(service(name)), name).toContainEqual(
        expect.objectContaining({ kind: "bind", source: "./data", target: "/opt/airflow/data" }),
      );
    }
  });

  it("runs each health check of the spec's table, at its interval and retries", () => {
    for (const row of tableAfterHeading(spec, "Health Checks")) {
      for (const name of servicesFor(row.Service ?? "")) {
        const h = service(name).healthcheck;
        expect(h?.interval, name).toBe(row.Interval);
        expect(h?.retries, name).toBe(Number(row.Retries));
        expect(missingFromCommand(row["Health Check"] ?? "", healthTestText(h)), name).toEqual([]);
      }
    }
  });

  it("checks the health of every long-running service, so depends_on can wait for it", () => {
    for (const [name, s] of services) {
      if (isOneShot(s)) continue;
      expect(s.healthcheck?.test, name).toBeDefined();
      expect(s.healthcheck?.interval, name).toBeDefined();
    }
  });

  it("starts a service only after its dependencies are healthy or finished", () => {
    for (const [name, s] of services) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        const target = service(dep);
        const expected = isOneShot(target) ? "service_completed_successfully" : "service_healthy";
        expect(condition, `${name} -> ${dep}`).toBe(expected);
        // Nothing that always starts may wait for a service only the scale profile starts.
        if (!isScaleOut(s)) expect(isScaleOut(target), `${name} -> ${dep}`).toBe(false);
      }
    }
    expect(dependencyCycle(compose)).toBeUndefined();
  });

  it("creates the buckets once in lakehouse-s3-init, which the catalog and Airflow wait for", () => {
    const init = service("s3-init");
    expect(init.container_name).toBe("lakehouse-s3-init");
    expect(isOneShot(init)).toBe(true);
    // The same bucket names and defaults as settings.ts.
    const variable = (value = "") =>
      interpolations(value).map((v) => [v.name, v.operator, v.argument]);
    expect(variable(init.environment?.LAKEHOUSE_BUCKET)).toEqual([
      ["LAKEHOUSE_BUCKET", ":-", "lakehouse"],
    ]);
    expect(variable(init.environment?.LAKEHOUSE_WAREHOUSE_BUCKET)).toEqual([
      ["LAKEHOUSE_WAREHOUSE_BUCKET", ":-", "lakehouse-warehouse"],
    ]);
    for (const name of [
      "iceberg-rest",
      ...servicesFor("Airflow").filter((n) => n !== "airflow-init"),
    ])
      expect(service(name).depends_on?.["s3-init"]?.condition, name).toBe(
        "service_completed_successfully",
      );
  });

  it("never deletes or empties a bucket in s3-init's script", () => {
    const script = readRepoFile("docker/s3-init/create-buckets.sh");
    expect(script).toMatch(/head-bucket/);
    expect(script).toMatch(/create-bucket/);
    expect(script).not.toMatch(/delete-bucket|delete-object|\bs3 (rb|rm)\b|--force|--recursive/);
  });
});

describe("docker-compose.yml matches the service catalogue (native mode)", () => {
  it("has every catalogue service with its container name, port setting and dependencies", () => {
    for (const def of CATALOGUE) {
      const s = service(def.name);
      expect(s.container_name, def.name).toBe(def.containerName);
      const published = (s.ports ?? []).map(parsePublishedPort);
      for (const p of def.ports) {
        expect(published, def.name).toContainEqual({
          variable: p.setting,
          defaultHostPort: PORT_DEFAULTS[p.setting],
          containerPort: p.containerPort,
        });
      }
      for (const dep of def.dependsOn)
        expect(Object.keys(s.depends_on ?? {}), def.name).toContain(dep);
    }
  });

  it("mounts only config files that exist in the repository", () => {
    for (const [name, s] of services) {
      for (const m of mounts(s).filter((m) => m.kind === "bind")) {
        // Relative to the compose file and inside the checkout: no machine-specific paths.
        expect(m.source, name).toMatch(/^\.\//);
        expect(m.source, name).not.toContain("..");
        expect(repoPathExists(m.source), `${name}: ${m.source}`).toBe(true);
      }
    }
  });

  it("gives Trino, coordinator and workers, every ENV placeholder its config files read", () => {
    const needed = trinoEtcFiles().flatMap((f) =>
      [...readRepoFile(f).matchAll(/\$\{ENV:([A-Z0-9_]+)\}/g)].map((m) => m[1] ?? ""),
    );
    expect(needed).toContain("S3_ENDPOINT");
    for (const name of ["trino", "trino-worker"]) {
      const env = service(name).environment ?? {};
      for (const variable of new Set(needed))
        expect(env[variable], `${name}: ${variable}`).toBeDefined();
    }
    const env = service("trino").environment ?? {};
    expect(env).toMatchObject({
      TRINO_HTTP_PORT: "8080",
      TRINO_BIND_IP: "0.0.0.0",
      TRINO_INTERNAL_ADDRESS: "trino",
      ICEBERG_REST_URI: "http://iceberg-rest:8181",
      S3_ENDPOINT: "http://seaweedfs-s3:8333",
    });
  });

  it("mounts every file of services/trino/etc into both Trino services", () => {
    for (const name of ["trino", "trino-worker"]) {
      const targets = mounts(service(name)).map((m) => [m.source.replace(/^\.\//, ""), m.target]);
      for (const file of trinoEtcFiles()) {
        const inContainer = file.replace("services/trino/etc/", "/etc/trino/");
        const covered = targets.some(
          ([src, dst]) =>
            file === src || (file.startsWith(`${src}/`) && inContainer.startsWith(`${dst}/`)),
        );
        expect(covered, `${name}: ${file}`).toBe(true);
      }
    }
  });

  it("runs PostgreSQL with the shared config files and creates the databases from init.sql", () => {
    const pg = service("postgres");
    const target = (file: string) =>
      mounts(pg).find((m) => m.source === `./services/postgres/${file}`)?.target;
    const command = (pg.command as string[]).join(" ");
    expect(command).toContain(`config_file=${target("postgresql.conf")}`);
    expect(command).toContain(`hba_file=${target("pg_hba.conf")}`);
    expect(command).toContain("listen_addresses=*");
    expect(target("init.sql")).toMatch(/^\/docker-entrypoint-initdb\.d\//);
  });

  it("keeps the Valkey password off every command line", () => {
    const valkey = service("valkey");
    expect(JSON.stringify([valkey.command, valkey.entrypoint])).not.toContain("PASSWORD");
    const script = readRepoFile("docker/valkey/entrypoint.sh");
    expect(script).toContain("--include");
    const conf = mounts(valkey).find((m) => m.source === "./services/valkey/valkey.conf");
    expect(script).toContain(conf?.target ?? "valkey.conf is not mounted");
  });

  it("stores the Iceberg catalog in PostgreSQL, never in the image's in-memory default", () => {
    const env = service("iceberg-rest").environment ?? {};
    expect(env.CATALOG_URI).toBe("jdbc:postgresql://postgres:5432/iceberg");
    expect(env.CATALOG_CATALOG__IMPL).toBe("org.apache.iceberg.jdbc.JdbcCatalog");
    const dockerfile = readRepoFile("docker/iceberg-rest/Dockerfile");
    const v = VERSIONS.postgresJdbc;
    expect(dockerfile).toContain(`org/postgresql/postgresql/${v}/postgresql-${v}.jar`);
    expect(dockerfile).toMatch(/--checksum=sha256:[0-9a-f]{64}/);
    // `java -jar` ignores -cp, which would leave the driver off the classpath.
    const cmd = instructions(dockerfile).findLast((i) => i.keyword === "CMD")?.args ?? "";
    expect(cmd).toContain("postgresql.jar");
    expect(cmd).not.toContain('"-jar"');
  });

  it("runs Airflow with the Celery executor on Valkey and PostgreSQL", () => {
    for (const name of servicesFor("Airflow")) {
      const env = service(name).environment ?? {};
      expect(env.AIRFLOW__CORE__EXECUTOR, name).toBe("CeleryExecutor");
      expect(env.AIRFLOW__CELERY__BROKER_URL, name).toMatch(
        /^redis:\/\/:\$\{VALKEY_PASSWORD:\?[^}]+\}@valkey:6379\/0$/,
      );
      expect(env.AIRFLOW__CELERY__RESULT_BACKEND, name).toMatch(
        /^db\+postgresql\+psycopg2:\/\/.+@postgres:5432\/airflow$/,
      );
      expect(env.AIRFLOW__DATABASE__SQL_ALCHEMY_CONN, name).toMatch(/@postgres:5432\/airflow$/);
    }
    expect(service("airflow-apiserver").container_name).toBe("lakehouse-airflow-webserver");
    for (const role of ["scheduler", "dag-processor", "triggerer", "worker", "flower", "init"])
      expect(service(`airflow-${role}`).container_name).toBe(`lakehouse-airflow-${role}`);
    expect(isOneShot(service("airflow-init"))).toBe(true);
  });
});

describe("docker-compose.yml pins, secrets and ports", () => {
  const images = services.map(([name, s]) => [name, s.image ?? ""] as const);

  it("pins every image to an exact version, never latest", () => {
    for (const [name, image] of images) {
      const tag = imageTag(image);
      expect(tag, `${name}: ${image}`).toBeDefined();
      expect(tag, `${name}: ${image}`).not.toBe("latest");
      expect(tag, `${name}: ${image}`).toMatch(EXACT_TAG);
    }
  });

  it("uses the versions native mode installs, and names built images after their base", () => {
    expect(service("trino").image).toBe(`trinodb/trino:${VERSIONS.trino}`);
    expect(service("trino-worker").image).toBe(`trinodb/trino:${VERSIONS.trino}`);
    expect(fromImage("docker/iceberg-rest/Dockerfile")).toBe(
      `apache/iceberg-rest-fixture:${VERSIONS.icebergRest}`,
    );
    expect(imageTag(service("postgres").image ?? "")).toMatch(/^16\./);
    expect(imageTag(service("valkey").image ?? "")).toMatch(/^8\./);
    expect(fromImage("docker/airflow/Dockerfile")).toMatch(/^apache\/airflow:3\./);
    expect(fromImage("docker/superset/Dockerfile")).toMatch(/^apache\/superset:6\./);
    for (const [name, s] of services.filter(([, s]) => s.build)) {
      const base = imageTag(fromImage(`${s.build?.context}/Dockerfile`)) ?? "";
      expect(imageTag(s.image ?? ""), name).toBe(base.replace(/-python[\d.]+$/, ""));
    }
  });

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

describe("scale-out", () => {
  const scalable = services.filter(([, s]) => isScaleOut(s)).map(([n]) => n);

  it("offers more Trino workers, Celery workers and SeaweedFS volume servers", () => {
    expect(scalable.sort()).toEqual([
      "airflow-worker-extra",
      "seaweedfs-volume-extra",
      "trino-worker",
    ]);
    const docs = readRepoFile("docs/docker.md");
    for (const name of scalable) expect(docs).toContain(`--scale ${name}=`);
  });

  it("gives replicas nothing that two containers cannot share", () => {
    for (const name of scalable) {
      const s = service(name);
      expect(s.container_name, name).toBeUndefined();
      expect(s.ports ?? [], name).toEqual([]);
      // A volume server's blobs must not land in another's directory; Airflow's task logs
      // are written by every Airflow container anyway, one file per task try.
      const named = mounts(s).filter((m) => m.kind === "named" && m.source !== "airflow-logs");
      expect(named, name).toEqual([]);
    }
  });

  it("starts Trino workers as workers of the coordinator", () => {
    const script = readRepoFile("docker/trino/worker.sh");
    expect(script).toContain("-Dcoordinator=false");
    expect(script).toMatch(/-Ddiscovery\.uri="?http:\/\/trino:/);
  });
});

describe("Dockerfiles", () => {
  const dockerfiles = listFiles("docker").filter((f) => f.endsWith("/Dockerfile"));

  it("are each built by a compose service", () => {
    const contexts = services.flatMap(([, s]) =>
      s.build ? [`${s.build.context}/Dockerfile`] : [],
    );
    expect(dockerfiles.sort()).toEqual([...new Set(contexts)].sort());
  });

  it.each(dockerfiles)("%s passes the linter and the project's rules", (file) => {
    expect(lintDockerfile(readRepoFile(file))).toEqual([]);
  });

  it("rules catch an unpinned base, a pip cache and ending as root", () => {
    const problems = lintDockerfile(
      [
        "FROM apache/superset:latest",
        "FROM apache/airflow",
        "USER root",
        "RUN pip install trino",
        "RUN . /app/.venv/bin/activate && uv pip install trino",
        "MAINTAINER someone",
      ].join("\n"),
    );
    expect(problems.join("\n")).toMatch(/uses latest/);
    expect(problems.join("\n")).toMatch(/has no tag/);
    expect(problems.join("\n")).toMatch(/without --no-cache-dir/);
    expect(problems.join("\n")).toMatch(/without --no-cache$/m);
    expect(problems.join("\n")).toMatch(/ends as root/);
    expect(problems.join("\n")).toMatch(/MAINTAINER has been deprecated/);
  });
});

/**
 * The spec writes a health check as a command line; ours may add flags (--fail) or
 * use a newer path with the same ending (Airflow 3 moved /health to /api/v2/monitor/health).
 * Returns the parts of the spec's command that the compose check lacks.
 */
function missingFromCommand(specCommand: string, actual: string): string[] {
  const words = actual.split(/\s+/);
  return specCommand.split(/\s+/).filter((part) => {
    if (!part.startsWith("http")) return !words.includes(part);
    const want = new URL(part);
    return !words.some((w) => {
      if (!w.startsWith("http")) return false;
      const got = new URL(w);
      return got.origin === want.origin && got.pathname.endsWith(want.pathname);
    });
  });
}

function dependencyCycle(c: ComposeFile): string | undefined {
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, path: string[]): string | undefined => {
    if (state.get(name) === "done") return undefined;
    if (state.get(name) === "visiting") return [...path, name].join(" -> ");
    state.set(name, "visiting");
    for (const dep of Object.keys(c.services[name]?.depends_on ?? {})) {
      const cycle = visit(dep, [...path, name]);
      if (cycle) return cycle;
    }
    state.set(name, "done");
    return undefined;
  };
  for (const name of Object.keys(c.services)) {
    const cycle = visit(name, []);
    if (cycle) return cycle;
  }
  return undefined;
}

function listFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((entry) => {
    const path = `${dir}/${entry}`;
    return statSync(join(ROOT, path)).isDirectory() ? listFiles(path) : [path];
  });
}

function trinoEtcFiles(): string[] {
  return listFiles("services/trino/etc");
}

function fromImage(dockerfile: string): string {
  const from = instructions(readRepoFile(dockerfile)).findLast((i) => i.keyword === "FROM");
  return from?.args.split(/\s+/).find((a) => !a.startsWith("--")) ?? "";
}
