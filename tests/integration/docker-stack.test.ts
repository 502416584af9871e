import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AirflowClient } from "../../src/airflow/client.ts";
import { INGEST_DAG } from "../../src/airflow/ingest-via-airflow.ts";
import { trinoClient } from "../../src/bootstrap/bootstrap.ts";
import type { TrinoClient } from "../../src/clients/trino.ts";
import { projectRoot } from "../../src/config/paths.ts";
import type { ServiceStatus } from "../../src/runtime/runtime.ts";
import { httpUrl } from "../../src/services/addresses.ts";
import { CATALOGUE, findService } from "../../src/services/catalogue.ts";
import { curatedBundles, dashboardUuid } from "../../src/superset/bundles.ts";
import { SupersetClient } from "../../src/superset/client.ts";
import { FAULT_OUTCOME_HEADER, killMidLoad } from "../support/fault-case.ts";
import { eventually, TestStack } from "./harness.ts";

// Docker mode only (vitest.config.ts): what the compose stack adds to the shared suites.
const exec = promisify(execFile);
const stack = new TestStack();
const dataDir = join(stack.dir, "data");
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

  it("`doctor` counts the containers' ports as the stack's own, not as taken", async () => {
    const { stdout } = await stack.ok(["doctor"]); // exit 0: nothing to fix
    for (const service of CATALOGUE)
      for (const port of service.ports)
        expect(stdout).toContain(
          `Port ${stack.settings().ports[port.setting]} (${service.name}): used by our running service`,
        );
    expect(stdout).toContain("answers: `up` will use docker mode");
  });

  it("`logs` shows Compose's own services too, and names the closest to a mistyped one", async () => {
    const { stdout } = await stack.ok(["logs", "s3-init"]);
    expect(stdout).toContain("bucket lakehouse:");
    const typo = await stack.run(["logs", "s3-innit"]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('No service "s3-innit". Did you mean "s3-init"?');
  });

  it("`up` names a port another program holds before it starts anything, then starts what stopped", async () => {
    await stack.compose(["stop", "trino"]);
    const s = stack.settings();
    const [published] = findService("trino").ports;
    if (!published) throw new Error("trino publishes no port");
    const port = s.ports[published.setting];
    const squatter = createServer();
    await new Promise<void>((listening) => squatter.listen(port, s.bindHost, listening));
    try {
      const taken = await stack.run(["up"]);
      expect(taken.code).toBe(1);
      expect(taken.stderr).toContain(
        `trino needs port ${port} on ${s.bindHost}, which is already in use: stop the program using it`,
      );
      expect(taken.stdout).not.toContain("Building the images");
    } finally {
      await new Promise((closed) => squatter.close(closed));
    }
    await stack.ok(["up"]);
    const { stdout } = await stack.ok(["status", "--json"]);
    const statuses = JSON.parse(stdout) as ServiceStatus[];
    expect(statuses.find((x) => x.service === "trino")?.health).toBe("healthy");
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
    const databases = await superset.list<{ id: number }>("database", ["id"]);
    expect(databases).toHaveLength(1);
    const { result } = await superset.request<{ result: { sqlalchemy_uri: string } }>(
      "GET",
      `/api/v1/database/${databases[0]?.id}/connection`,
    );
    expect(result.sqlalchemy_uri).toBe("trino://superset@trino:8080/iceberg/lakehouse");
    // Sales and Data quality are the repository's asset bundles, imported with their UUIDs.
    const curated = await superset.list<{ slug: string; uuid: string }>("dashboard", [
      "slug",
      "uuid",
    ]);
    for (const bundle of curatedBundles()) {
      expect(curated.find((d) => d.slug === bundle.slug)?.uuid).toBe(dashboardUuid(bundle));
    }
  });

  it("the ingest DAG's own last task gives a new table its dashboard, from inside the network", async () => {
    const file = join(stack.dir, "arrivals.csv");
    writeFileSync(file, "gate,passengers\nA1,120\nB7,85\n");
    await stack.ok(["ingest", file]); // loads; provisions nothing itself
    const superset = new SupersetClient(stack.settings());
    const slugs = await eventually("the arrivals dashboard", 300_000, async () => {
      const found = await superset.list<{ slug: string }>("dashboard", ["id", "slug"]);
      const slugs = found.map((d) => d.slug);
      return slugs.includes("table-arrivals") ? slugs : undefined;
    });
    expect(slugs).toContain("table-arrivals");
    const charts = await superset.list<{ slice_name: string; viz_type: string }>("chart", [
      "slice_name",
      "viz_type",
    ]);
    expect(charts.find((c) => c.slice_name === "arrivals · Share of gate")?.viz_type).toBe("pie");
    // Nothing changed since: a second run writes nothing.
    await stack.ok(["dashboards"]);
    const { stdout, stderr } = await stack.ok(["dashboards"]);
    expect(`${stdout}${stderr}`).toMatch(/0 of \d+ dashboards written/);
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

  it("`backup`, `reset`, `restore`: a wiped install comes back with its tables, snapshots and dashboards", async () => {
    const tables = async () =>
      (await trino.query("SHOW TABLES FROM iceberg.lakehouse")).rows.map((r) => String(r[0]));
    const rows = async (table: string) =>
      Number(await scalar(`SELECT count(*) FROM iceberg.lakehouse."${table}"`));
    const dashboards = () =>
      new SupersetClient(stack.settings()).list<{ id: number; slug: string }>("dashboard", [
        "id",
        "slug",
      ]);
    const before = {
      tables: (await tables()).sort(),
      sample: await rows("sales_sample"),
      arrivals: await rows("arrivals"),
      snapshots: await scalar('SELECT count(*) FROM iceberg.lakehouse."sales_sample$snapshots"'),
      dashboards: await dashboards(),
    };
    const backupDir = join(stack.dir, "backup");
    await stack.ok(["backup", backupDir]);

    await stack.ok(["reset", "--yes"]);
    const { stdout: volumes } = await exec("docker", [
      ...["volume", "ls", "--quiet", "--filter", "label=com.docker.compose.project=lakehouse-test"],
    ]);
    expect(volumes.trim(), "reset leaves no volume").toBe("");

    await stack.ok(["restore", backupDir, "--yes"]);
    trino = trinoClient(stack.settings());
    expect({
      tables: (await tables()).sort(),
      sample: await rows("sales_sample"),
      arrivals: await rows("arrivals"),
      snapshots: await scalar('SELECT count(*) FROM iceberg.lakehouse."sales_sample$snapshots"'),
      dashboards: await dashboards(),
    }).toEqual(before);
    expect(before.sample).toBe(SAMPLE_ROWS);
  });
});

describe("faults on the compose stack: Compose's restart policy brings the service back", () => {
  // The native fault suite kills every service; here the two whose loss reached users
  // natively (a database under every service; the catalog's pooled connections to it).
  const outcomes: string[][] = [FAULT_OUTCOME_HEADER];
  afterAll(() =>
    console.log(`\nFault cases (docker):\n${outcomes.map((r) => r.join("\t")).join("\n")}`),
  );
  for (const service of ["postgres", "iceberg-rest"])
    it(`${service} killed mid-load: every file loaded exactly once, the service back`, async () => {
      outcomes.push(await killMidLoad(stack, service));
    });
});

describe("scale-out: the compose profile `scale`", () => {
  beforeAll(async () => {
    await stack.compose([
      ...["--profile", "scale", "up", "--detach", "--wait"],
      ...["--scale", "trino-worker=2", "--scale", "airflow-worker-extra=1"],
      ...["--scale", "seaweedfs-volume-extra=1"],
    ]);
  });

  it("two Trino workers join the coordinator, and a query runs tasks on each", async () => {
    const nodes = await eventually("three active Trino nodes", 180_000, async () => {
      const result = await trino.query<[string, boolean]>(
        "SELECT node_id, coordinator FROM system.runtime.nodes WHERE state = 'active'",
      );
      return result.rows.length === 3 ? result.rows : undefined;
    });
    const workers = nodes.filter(([, coordinator]) => !coordinator).map(([id]) => id);
    expect(workers).toHaveLength(2);
    // A grouped count has a hash-partitioned stage, with a task on every node.
    const tag = `scale-probe-${Date.now()}`;
    await trino.query(
      `SELECT /* ${tag} */ region, count(*) FROM iceberg.lakehouse.sales_sample GROUP BY region`,
    );
    const ran = await trino.query<[string]>(
      "SELECT DISTINCT t.node_id FROM system.runtime.tasks t JOIN system.runtime.queries q " +
        `ON t.query_id = q.query_id WHERE q.query LIKE '%${tag}%' AND q.query NOT LIKE '%system.runtime%'`,
    );
    expect(ran.rows.map(([id]) => id)).toEqual(expect.arrayContaining(workers));
  });

  it("an extra Celery worker takes loads from the shared queue", async () => {
    const hostname = async (service: string) => {
      const [id] = (await stack.compose(["ps", "--quiet", service])).trim().split("\n");
      const { stdout } = await exec("docker", [
        "inspect",
        "--format",
        "{{.Config.Hostname}}",
        id as string,
      ]);
      return stdout.trim();
    };
    const extra = await hostname("airflow-worker-extra");
    expect(extra).not.toBe(await hostname("airflow-worker"));
    // With the main worker stopped, only the extra one consumes the queue.
    await stack.compose(["stop", "airflow-worker"]);
    try {
      const files = [];
      for (let i = 0; i < 3; i++) {
        const file = join(stack.dir, `scaled_${i}.csv`);
        writeFileSync(file, `item,amount\nbolt,${i}\nnut,${i + 1}\n`);
        files.push(file);
      }
      const ingest = await stack.ok(["ingest", ...files]);
      // The command's own run (it names it): the latest run may be one the file's arrival started.
      const run = /through Airflow \(([^)]+)\)/.exec(ingest.stdout + ingest.stderr)?.[1];
      expect(run, ingest.stderr).toBeDefined();
      const airflow = new AirflowClient(stack.settings());
      const { task_instances } = await airflow.request<{
        task_instances: { task_id: string; hostname: string | null }[];
      }>(
        "GET",
        `/api/v2/dags/${INGEST_DAG}/dagRuns/${encodeURIComponent(run as string)}/taskInstances`,
      );
      const loads = task_instances.filter((t) => t.task_id === "load");
      expect(loads).toHaveLength(3);
      expect(new Set(loads.map((t) => t.hostname))).toEqual(new Set([extra]));
      for (let i = 0; i < 3; i++)
        expect(Number(await scalar(`SELECT sum(amount) FROM iceberg.lakehouse.scaled_${i}`))).toBe(
          2 * i + 1,
        );
    } finally {
      await stack.compose(["up", "--detach", "--wait", "airflow-worker"]);
    }
  });

  it("the extra SeaweedFS volume server registers and receives volumes", async () => {
    const master = httpUrl(stack.settings(), "seaweedfs-master", "", "host");
    // Ask the master for new volumes, as writes to a new bucket do.
    const grown = await fetch(`${master}/vol/grow?collection=scaleprobe&count=8&replication=000`);
    expect(grown.ok, await grown.text()).toBe(true);
    const status = (await (await fetch(`${master}/dir/status`)).json()) as {
      Topology: { DataCenters: { Racks: { DataNodes: { Url: string; Volumes: number }[] }[] }[] };
    };
    const nodes = status.Topology.DataCenters.flatMap((dc) => dc.Racks).flatMap((r) => r.DataNodes);
    expect(nodes).toHaveLength(2);
    const extra = nodes.find((n) => !n.Url.startsWith("seaweedfs-volume:"));
    expect(extra?.Volumes).toBeGreaterThan(0);
  });
});
