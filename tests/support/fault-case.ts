/**
 * One case of the fault suite: while a batch of files loads through Airflow, one service's
 * main process is killed with SIGKILL and left to the restart policy. Every file of the
 * batch must end in its table exactly once (rows, distinct keys and a sum read back
 * through Trino, one `loaded` ledger row per file), at once or by the next run, and every
 * service healthy again. The fault suite (tests/integration/faults.test.ts) runs it for
 * each service natively; the docker suite (docker-stack.test.ts) for a few, on its stack.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { AirflowClient } from "../../src/airflow/client.ts";
import { INGEST_DAG } from "../../src/airflow/ingest-via-airflow.ts";
import { trinoClient } from "../../src/bootstrap/bootstrap.ts";
import { LEDGER_TABLE } from "../../src/pipeline/conventions.ts";
import { salesLines } from "../../src/sample/sales.ts";
import { eventually, type TestStack } from "../integration/harness.ts";

const FILES = 3;
const ROWS = 20_000;

/** The outcome table's header; each case adds one row. */
export const FAULT_OUTCOME_HEADER = [
  "SERVICE",
  "FIRST RUN",
  "SECOND RUN",
  "RESTARTS",
  "BACK AFTER",
];

/** What a file of the batch holds: rows, distinct order ids and the sum of quantities. */
function expected(lines: string[]): string {
  const rows = lines.slice(1).map((l) => l.split(","));
  const quantity = rows.reduce((sum, r) => sum + Number(r[r.length - 4]), 0);
  return `${rows.length} ${new Set(rows.map((r) => r[0])).size} ${quantity}`;
}

/** Waits until a load task of the ingest DAG is running: the moment to kill. */
async function loadRunning(stack: TestStack): Promise<void> {
  const airflow = new AirflowClient(stack.settings());
  await eventually("a load task running", 300_000, async () => {
    const page = await airflow.request<{ task_instances: { task_id: string }[] }>(
      "GET",
      `/api/v2/dags/${INGEST_DAG}/dagRuns/~/taskInstances?state=running&limit=10`,
    );
    return page.task_instances.some((t) => t.task_id === "load") ? true : undefined;
  });
}

/** Runs the case for `service` on a running stack; returns its row of the outcome table. */
export async function killMidLoad(stack: TestStack, service: string): Promise<string[]> {
  const tag = service.replaceAll("-", "_");
  const files = Array.from({ length: FILES }, (_, i) => {
    const lines = [...salesLines(ROWS, 100 + i)];
    const path = join(stack.dir, `fault_${tag}_${i}.csv`);
    writeFileSync(path, `${lines.join("\n")}\n`);
    return { path, table: `fault_${tag}_${i}`, expected: expected(lines) };
  });
  const ingest = stack.run(["ingest", ...files.map((f) => f.path)]);
  await loadRunning(stack);
  const before = await stack.killService(service);
  const killedAt = Date.now();
  const restarts = await stack.serviceBack(service, before);
  const back = `${((Date.now() - killedAt) / 1000).toFixed(0)} s`;
  const first = await ingest;
  // A file the first run could not load is loaded by the next one (they are in data/raw/).
  const second =
    first.code === 0 ? undefined : await stack.run(["ingest", ...files.map((f) => f.path)]);
  const outcome = [
    service,
    first.code === 0 ? "all loaded" : `${(first.stdout.match(/✗/g) ?? []).length} failed`,
    second === undefined ? "-" : second.code === 0 ? "all loaded" : "failed",
    String(restarts),
    back,
  ];
  if (second) expect(second.code, `${second.stdout}\n${second.stderr}`).toBe(0);

  const trino = trinoClient(stack.settings());
  for (const file of files) {
    const result = await trino.query(
      `SELECT count(*), count(DISTINCT order_id), sum(quantity) FROM iceberg.lakehouse.${file.table}`,
    );
    expect({ table: file.table, got: result.rows[0]?.map(String).join(" ") }).toEqual({
      table: file.table,
      got: file.expected,
    });
    const ledger = await trino.query(
      `SELECT count(*) FROM iceberg.lakehouse.${LEDGER_TABLE} WHERE file_path = 'data/raw/${file.table}.csv' AND status = 'loaded'`,
    );
    expect({ table: file.table, loaded: Number(ledger.rows[0]?.[0]) }).toEqual({
      table: file.table,
      loaded: 1,
    });
  }
  // Every service healthy again: those that lost their connection to the killed one too
  // (Airflow's jobs exit and are restarted when PostgreSQL goes). A container without a
  // health check reports "-": running is all it can say.
  let sick: string[] = [];
  await eventually("every service healthy again", 300_000, async () => {
    sick = (await stack.statuses())
      .filter((x) => x.health === "unhealthy" || x.state !== "running")
      .map((x) => `${x.service} ${x.state} ${x.health} ${x.detail ?? ""}`);
    return sick.length === 0 ? true : undefined;
  }).catch((error: Error) => {
    throw new Error(`${error.message}; not healthy: ${sick.join("; ")}`);
  });
  return outcome;
}
