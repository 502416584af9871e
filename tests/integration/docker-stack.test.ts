import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trinoClient } from "../../src/bootstrap/bootstrap.ts";
import type { TrinoClient } from "../../src/clients/trino.ts";
import { projectRoot } from "../../src/config/paths.ts";
import type { ServiceStatus } from "../../src/runtime/runtime.ts";
import { CATALOGUE } from "../../src/services/catalogue.ts";
import { SupersetClient } from "../../src/superset/client.ts";
import { TestStack } from "./harness.ts";

// Docker mode only (vitest.config.ts): what the compose stack adds to the shared suites.
const exec = promisify(execFile);
const stack = new TestStack();
const dataDir = join(stack.dir, "data");
stack.env.LAKEHOUSE_DATA_DIR = dataDir;
let trino: TrinoClient;
const sample = join(projectRoot, "data/raw/sales_sample.csv");
/** The sample's data rows: its lines less the header. */
const SAMPLE_ROWS = readFileSync(sample, "utf8").trimEnd().split("\n").length - 1;

async function scalar(sql: string): Promise<unknown> {
  return (await trino.query(sql)).rows[0]?.[0];
}

beforeAll(async () => {
  mkdirSync(join(dataDir, "raw"), { recursive: true });
  copyFileSync(sample, join(dataDir, "raw", "sales_sample.csv"));
  await stack.ok(["up"]);
  trino = trinoClient(stack.settings());
});

afterAll(async () => {
  await stack.destroy();
});

describe("docker mode", () => {
  it("every service of the catalogue is a healthy container on lakehouse-network", async () => {
    const { stdout } = await stack.ok(["status", "--json"]);
    const statuses = JSON.parse(stdout) as ServiceStatus[];
    for (const service of CATALOGUE)
      expect(statuses.find((x) => x.service === service.name)?.health, service.name).toBe(
        "healthy",
      );
    const { stdout: names } = await exec("docker", [
      ...["network", "inspect", "lakehouse-network"],
      ...["--format", "{{range .Containers}}{{.Name}} {{end}}"],
    ]);
    for (const service of CATALOGUE)
      expect(names.split(" "), service.containerName).toContain(service.containerName);
  });

  it("every image was built here from the repository's Dockerfiles", async () => {
    const { stdout } = await exec("docker", [
      ...["ps", "--filter", "label=com.docker.compose.project=lakehouse-test"],
      ...["--format", "{{.Image}}"],
    ]);
    const images = new Set(stdout.trim().split("\n"));
    expect([...images].every((image) => image.startsWith("lakehouse/"))).toBe(true);
    expect(images.size).toBe(7); // postgres valkey seaweedfs iceberg-rest trino airflow superset
  });

  it("`up` landed the sample through Airflow and provisioned its dashboard from inside", async () => {
    expect(Number(await scalar("SELECT count(*) FROM iceberg.lakehouse.sales_sample"))).toBe(
      SAMPLE_ROWS,
    );
    const superset = new SupersetClient(stack.settings());
    const dashboards = await superset.list<{ slug: string }>("dashboard", ["id", "slug"]);
    expect(dashboards.map((d) => d.slug)).toEqual(expect.arrayContaining(["sales"]));
    // Superset reaches Trino by its name inside the network.
    const databases = await superset.list<{ sqlalchemy_uri: string }>("database", [
      "id",
      "sqlalchemy_uri",
    ]);
    expect(databases.map((d) => d.sqlalchemy_uri)).toEqual([
      "trino://superset@trino:8080/iceberg/lakehouse",
    ]);
  });

  it("`down` then `up` keeps tables, snapshots and dashboards", async () => {
    const snapshots = await scalar(
      'SELECT count(*) FROM iceberg.lakehouse."sales_sample$snapshots"',
    );
    const superset = new SupersetClient(stack.settings());
    const before = await superset.list<{ id: number; slug: string }>("dashboard", ["id", "slug"]);
    await stack.ok(["down"]);
    const { stdout: running } = await exec("docker", [
      ...["ps", "--quiet", "--filter", "label=com.docker.compose.project=lakehouse-test"],
    ]);
    expect(running.trim()).toBe("");
    await stack.ok(["up"]);
    expect(Number(await scalar("SELECT count(*) FROM iceberg.lakehouse.sales_sample"))).toBe(
      SAMPLE_ROWS,
    );
    expect(await scalar('SELECT count(*) FROM iceberg.lakehouse."sales_sample$snapshots"')).toBe(
      snapshots,
    );
    const after = await new SupersetClient(stack.settings()).list<{ id: number; slug: string }>(
      "dashboard",
      ["id", "slug"],
    );
    expect(after).toEqual(before);
  });
});
