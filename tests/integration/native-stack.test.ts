import { existsSync, statSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { join } from "node:path";
import { HeadBucketCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trinoClient } from "../../src/bootstrap/bootstrap.ts";
import { s3Client } from "../../src/clients/s3.ts";
import type { Settings } from "../../src/config/settings.ts";
import { componentDir } from "../../src/install/component.ts";
import { COMPONENTS } from "../../src/install/components.ts";
import type { ServiceStatus } from "../../src/runtime/runtime.ts";
import { CATALOGUE } from "../../src/services/catalogue.ts";
import { TestStack } from "./harness.ts";

// On a loopback address other than 127.0.0.1, so the whole file also shows that
// LAKEHOUSE_BIND_HOST holds: every service listens there and reaches the others there.
const BIND = "127.0.0.2";
const stack = new TestStack({ LAKEHOUSE_BIND_HOST: BIND });
let settings: Settings;

/** Whether something accepts TCP connections on host:port. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function status(): Promise<ServiceStatus[]> {
  const result = await stack.run(["status", "--json"]);
  return JSON.parse(result.stdout) as ServiceStatus[];
}

async function warehouseKeys(prefix: string): Promise<string[]> {
  const s3 = s3Client(settings);
  try {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: settings.s3.warehouseBucket,
          Prefix: prefix,
          ContinuationToken: token,
        }),
      );
      keys.push(...(page.Contents ?? []).map((o) => o.Key as string));
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  } finally {
    s3.destroy();
  }
}

beforeAll(async () => {
  await stack.ok(["install"]);
  settings = stack.settings();
});

afterAll(async () => {
  await stack.destroy();
});

describe("the native stack", () => {
  it("install a second time downloads and builds nothing", async () => {
    const markers = COMPONENTS.map((c) =>
      join(componentDir(settings.paths.cache, c), ".lakehouse-installed"),
    );
    const before = markers.map((m) => statSync(m).mtimeMs);
    const { stderr } = await stack.ok(["install"]);
    for (const c of COMPONENTS)
      expect(stderr).toContain(`${c.name} ${c.version}: already installed`);
    expect(stderr).toContain("nothing to do");
    expect(stderr).not.toMatch(/Installing|MiB of/);
    expect(markers.map((m) => statSync(m).mtimeMs)).toEqual(before);
  });

  it("up brings every service to healthy, and status reports it", async () => {
    const { stdout } = await stack.ok(["up"]);
    expect(stdout).toContain("The lakehouse is up.");
    expect(stdout).toContain(`http://${BIND}:${settings.ports.TRINO_PORT}/ui/`);
    const services = await status();
    expect(services.map((s) => s.service).sort()).toEqual(CATALOGUE.map((s) => s.name).sort());
    for (const s of services) {
      expect({ service: s.service, state: s.state, health: s.health }).toEqual({
        service: s.service,
        state: "running",
        health: "healthy",
      });
      expect(existsSync(s.logPath)).toBe(true);
    }
  });

  it("creates the buckets and the iceberg schema", async () => {
    const schemas = await trinoClient(settings).query<[string]>("SHOW SCHEMAS FROM iceberg");
    expect(schemas.rows.map(([name]) => name)).toContain("lakehouse");
    const s3 = s3Client(settings);
    try {
      for (const bucket of ["lakehouse", "lakehouse-warehouse"]) {
        // HeadBucket rejects (NotFound) for a bucket that does not exist.
        await expect(s3.send(new HeadBucketCommand({ Bucket: bucket }))).resolves.toBeDefined();
      }
    } finally {
      s3.destroy();
    }
  });

  it("stores an Iceberg table through Trino: rows read back, files visible in S3", async () => {
    const trino = trinoClient(settings);
    await trino.query(
      "CREATE TABLE iceberg.lakehouse.it_orders (id bigint, region varchar, amount decimal(10,2), day date) WITH (partitioning = ARRAY['month(day)'])",
    );
    await trino.query(
      "INSERT INTO iceberg.lakehouse.it_orders VALUES (1, 'north', 10.50, DATE '2026-01-03'), (2, 'south', 20.25, DATE '2026-02-04'), (3, 'north', 5.00, DATE '2026-02-05')",
    );
    const rows = await trino.query(
      "SELECT id, region, CAST(amount AS varchar), CAST(day AS varchar) FROM iceberg.lakehouse.it_orders ORDER BY id",
    );
    expect(rows.rows).toEqual([
      [1, "north", "10.50", "2026-01-03"],
      [2, "south", "20.25", "2026-02-04"],
      [3, "north", "5.00", "2026-02-05"],
    ]);
    const keys = await warehouseKeys("lakehouse/");
    expect(
      keys.filter((k) => k.includes("/data/") && k.endsWith(".parquet")).length,
    ).toBeGreaterThanOrEqual(2);
    expect(keys.some((k) => k.includes("/metadata/") && k.endsWith(".metadata.json"))).toBe(true);
  });

  it("keeps tables, rows and snapshots across down and up", async () => {
    const trino = trinoClient(settings);
    const snapshotsBefore = await trino.query(
      'SELECT snapshot_id FROM iceberg.lakehouse."it_orders$snapshots" ORDER BY committed_at',
    );
    expect(snapshotsBefore.rows.length).toBeGreaterThanOrEqual(1);

    await stack.ok(["down"]);
    for (const s of await status()) expect(s.state).toBe("stopped");
    await stack.ok(["up"]);

    const count = await trino.query<[number]>("SELECT count(*) FROM iceberg.lakehouse.it_orders");
    expect(count.rows).toEqual([[3]]);
    const snapshotsAfter = await trino.query(
      'SELECT snapshot_id FROM iceberg.lakehouse."it_orders$snapshots" ORDER BY committed_at',
    );
    expect(snapshotsAfter.rows).toEqual(snapshotsBefore.rows);
  });

  it("every port listens on LAKEHOUSE_BIND_HOST and nowhere else", async () => {
    for (const [name, port] of Object.entries(settings.ports)) {
      expect({ name, bound: await accepts(BIND, port) }).toEqual({ name, bound: true });
      expect({ name, loopback: await accepts("127.0.0.1", port) }).toEqual({
        name,
        loopback: false,
      });
    }
  });

  it("up on a running stack starts nothing twice", async () => {
    const pids = (await status()).map((s) => s.pid);
    const { stderr } = await stack.ok(["up"]);
    expect(stderr).toContain("trino: already running");
    expect((await status()).map((s) => s.pid)).toEqual(pids);
  });

  it("fails fast when a port is taken, naming the service and the port, and starts nothing", async () => {
    await stack.ok(["down"]);
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(settings.ports.VALKEY_PORT, BIND, r));
    try {
      const result = await stack.run(["up"]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`valkey needs port ${settings.ports.VALKEY_PORT}`);
      expect(result.stderr).toContain("VALKEY_PORT");
      for (const s of await status()) expect(s.state).toBe("stopped");
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it("exits non-zero naming a service that dies while starting, and its log file", async () => {
    // A heap too small for the JVM: the catalog exits at once, as a real misconfiguration would.
    const result = await stack.run(["up"], { ICEBERG_REST_HEAP: "1m" });
    expect(result.code).not.toBe(0);
    const log = join(settings.paths.state, "logs", "iceberg-rest.log");
    expect(result.stderr).toContain(
      `iceberg-rest exited with code 1 while starting. See its log: ${log}`,
    );
    expect(result.stderr).toMatch(/Too small maximum heap|Initial heap size set to a larger value/);
    const byName = Object.fromEntries((await status()).map((s) => [s.service, s.state]));
    expect(byName["iceberg-rest"]).toBe("stopped");
    expect(byName.trino).toBe("stopped");
    expect(byName.postgres).toBe("running");
  });

  it("reset --yes stops everything and deletes the data, keeping .env", async () => {
    await stack.ok(["reset", "--yes"]);
    for (const s of await status()) expect(s.state).toBe("stopped");
    expect(existsSync(join(settings.paths.state, "postgres"))).toBe(false);
    expect(existsSync(settings.paths.envFile)).toBe(true);
  });
});
