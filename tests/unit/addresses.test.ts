import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadSettings } from "../../src/config/settings.ts";
import type { InstalledTools } from "../../src/install/installer.ts";
import { nativeProcesses } from "../../src/runtime/native/processes.ts";
import { supersetTrinoUri } from "../../src/runtime/native/superset.ts";
import { authority, ENDPOINTS, hostAddress, httpUrl } from "../../src/services/addresses.ts";
import { CATALOGUE } from "../../src/services/catalogue.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function settings(extra: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "lakehouse-addresses-"));
  dirs.push(dir);
  return loadSettings({
    env: { LAKEHOUSE_ENV_FILE: join(dir, ".env"), LAKEHOUSE_HOME: join(dir, "state"), ...extra },
  });
}

const tools: InstalledTools = {
  java: "/jdk/bin/java",
  trinoHome: "/trino",
  icebergRestClasspath: ["/rest/classes"],
  weed: "/weed",
  postgresBin: "/pg/bin",
  valkeyServer: "/valkey-server",
  python: "/airflow/bin/python",
  supersetPython: "/superset/bin/python",
};

describe("the address book", () => {
  it("gives the host's view from the bind address and ports of the settings", () => {
    const s = settings({ TRINO_PORT: "18083" });
    expect(httpUrl(s, "trino", "/v1/info")).toBe("http://127.0.0.1:18083/v1/info");
    expect(authority(s, "postgres")).toBe("127.0.0.1:5432");
  });

  it("dials loopback for a service bound to every interface", () => {
    expect(hostAddress(settings({ LAKEHOUSE_BIND_HOST: "0.0.0.0" }))).toBe("127.0.0.1");
    expect(httpUrl(settings({ LAKEHOUSE_BIND_HOST: "::" }), "superset")).toBe("http://[::1]:8088");
  });

  it("gives the container's view by service name and container port", () => {
    const s = settings({ LAKEHOUSE_VIEW: "container", TRINO_PORT: "18083" });
    expect(httpUrl(s, "trino")).toBe("http://trino:8080");
    expect(httpUrl(s, "airflow-apiserver", "/api/v2")).toBe("http://airflow-apiserver:8080/api/v2");
    // Superset runs inside the network in docker mode, on the host natively.
    expect(supersetTrinoUri(s, "docker")).toBe("trino://superset@trino:8080/iceberg/lakehouse");
    expect(supersetTrinoUri(settings(), "native")).toBe(
      "trino://superset@127.0.0.1:8083/iceberg/lakehouse",
    );
  });

  it("has the container port of every port the catalogue publishes", () => {
    for (const service of CATALOGUE)
      for (const port of service.ports)
        expect(ENDPOINTS[service.name as keyof typeof ENDPOINTS]).toEqual({
          port: port.setting,
          containerPort: port.containerPort,
        });
  });

  it("native mode names no address but LAKEHOUSE_BIND_HOST's, in any process's arguments or environment", () => {
    const s = settings({ LAKEHOUSE_BIND_HOST: "127.0.0.2" });
    const specs = nativeProcesses(s, tools);
    expect(Object.keys(specs).sort()).toEqual(CATALOGUE.map((c) => c.name).sort());
    for (const [name, spec] of Object.entries(specs)) {
      const text = JSON.stringify({ args: spec.args, env: spec.env });
      expect({ name, loopback: text.includes("127.0.0.1") || text.includes("localhost") }).toEqual({
        name,
        loopback: false,
      });
    }
  });
});
