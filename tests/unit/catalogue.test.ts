import { describe, expect, it } from "vitest";
import { CATALOGUE, type ServiceDefinition, startOrder } from "../../src/services/catalogue.ts";

const fake = (name: string, dependsOn: string[] = []): ServiceDefinition => ({
  name,
  containerName: `lakehouse-${name}`,
  role: name,
  ports: [],
  dependsOn,
  readiness: () => ({ description: name, probe: async () => ({ ready: true }) }),
});

describe("service catalogue", () => {
  it("names every service and container uniquely, as the spec does", () => {
    const names = CATALOGUE.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    // The spec keeps Airflow 2's "webserver" in the container name of Airflow 3's API server.
    const specNames: Record<string, string> = {
      "airflow-apiserver": "lakehouse-airflow-webserver",
    };
    for (const s of CATALOGUE)
      expect(s.containerName).toBe(specNames[s.name] ?? `lakehouse-${s.name}`);
    expect(new Set(CATALOGUE.map((s) => s.containerName)).size).toBe(CATALOGUE.length);
  });

  it("gives every port setting to exactly one service", () => {
    const settings = CATALOGUE.flatMap((s) => s.ports.map((p) => p.setting));
    expect(new Set(settings).size).toBe(settings.length);
  });

  it("has a readiness check for every service", () => {
    for (const s of CATALOGUE) expect(typeof s.readiness).toBe("function");
  });

  it("orders services after their dependencies", () => {
    const order = startOrder().map((s) => s.name);
    for (const service of CATALOGUE) {
      for (const dep of service.dependsOn)
        expect(order.indexOf(dep)).toBeLessThan(order.indexOf(service.name));
    }
    expect(order.indexOf("trino")).toBeGreaterThan(order.indexOf("iceberg-rest"));
    expect(order.indexOf("iceberg-rest")).toBeGreaterThan(order.indexOf("postgres"));
  });

  it("rejects cycles and unknown dependencies", () => {
    expect(() => startOrder([fake("a", ["b"]), fake("b", ["a"])])).toThrow(/cycle: a -> b -> a/);
    expect(() => startOrder([fake("a", ["ghost"])])).toThrow(/unknown service "ghost"/);
  });
});
