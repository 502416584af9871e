import { createRequire } from "node:module";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import {
  type ComposeFile,
  healthTestText,
  interpolations,
  isOneShot,
  isScaleOut,
  mounts,
  parsePublishedPort,
  readRepoFile,
} from "./compose/compose-file.ts";
import {
  compose,
  dependencyCycle,
  dockerfileOf,
  entrypointScript,
  flag,
  imageEnv,
  missingFromCommand,
  service,
  services,
  servicesFor,
  spec,
  withoutComments,
} from "./compose/context.ts";
import { expandContainerNames, tableAfterHeading } from "./compose/markdown.ts";

// Static checks of docker mode (docker-compose.yml, the Dockerfiles, versions.env): no
// Docker engine is needed; shared fixtures are in ./compose/context.ts.

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

describe("docker-compose.yml implements docs/specification.md", () => {
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
