import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { FAULT_OUTCOME_HEADER, killMidLoad } from "../support/fault-case.ts";
import { RUNTIME, sharedStack } from "./harness.ts";

/**
 * The fault suite (tests/support/fault-case.ts): while a batch of files loads through
 * Airflow, each service of the platform in turn is killed with SIGKILL and left to the
 * restart policy; every file must end loaded exactly once and every service healthy again.
 * Forty to sixty seconds per service on two cores. LAKEHOUSE_FAULTS=trino,valkey runs the
 * ones named. The docker suite runs a few of the cases on its compose stack.
 */
const EVERY = [
  "postgres",
  "valkey",
  "seaweedfs-master",
  "seaweedfs-volume",
  "seaweedfs-filer",
  "seaweedfs-s3",
  "iceberg-rest",
  "trino",
  "airflow-scheduler",
  "airflow-worker",
  "superset",
];
const CASES = process.env.LAKEHOUSE_FAULTS?.split(",") ?? EVERY;

const stack = sharedStack("airflow");
const dataDir = join(stack.dir, "data");
const outcomes: string[][] = [FAULT_OUTCOME_HEADER];

beforeAll(async () => {
  mkdirSync(join(dataDir, "raw"), { recursive: true });
  await stack.start();
});

afterAll(async () => {
  console.log(`\nFault suite (${RUNTIME}):\n${outcomes.map((r) => r.join("\t")).join("\n")}`);
  await stack.release();
});

describe(`faults (${RUNTIME})`, () => {
  for (const service of CASES) {
    it(`${service} killed mid-load: every file loaded exactly once, the service back`, async () => {
      outcomes.push(await killMidLoad(stack, service));
    });
  }
});
