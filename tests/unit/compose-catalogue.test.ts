import { posix, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { dataDir, envFile } from "../../src/config/paths.ts";
import { PORT_DEFAULTS, type Settings } from "../../src/config/settings.ts";
import { composeEnv } from "../../src/runtime/docker/compose.ts";
import { ENDPOINTS, type Endpoint } from "../../src/services/addresses.ts";
import { CATALOGUE } from "../../src/services/catalogue.ts";
import {
  addressesIn,
  commandText,
  healthTestText,
  hostPathOf,
  interpolations,
  isOneShot,
  mounts,
  parsePublishedPort,
  ROOT,
  readRepoFile,
  repoPathExists,
  withDefaults,
} from "./compose/compose-file.ts";
import {
  compose,
  dockerfileOf,
  entrypointScript,
  flag,
  imageEntrypoint,
  imageEnv,
  service,
  services,
  servicesFor,
  trinoEtcFiles,
  withoutComments,
} from "./compose/context.ts";

// Static checks of docker mode (docker-compose.yml, the Dockerfiles, versions.env): no
// Docker engine is needed; shared fixtures are in ./compose/context.ts.

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
    const set = composeEnv({
      paths: install,
      trino: { heap: "2G", maxSpillPerNode: "20GB" },
    } as unknown as Settings);
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
