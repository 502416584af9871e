import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trinoClient } from "../../src/bootstrap/bootstrap.ts";
import { httpUrl } from "../../src/services/addresses.ts";
import { describeReport, exactlyOnceProblems, runLoadScenario } from "../support/load-scenario.ts";
import { stackMemorySampler } from "../support/stack-memory.ts";
import { RUNTIME, sharedStack } from "./harness.ts";

/**
 * Many files at once (tests/support/load-scenario.ts): CSV files of four tables dropped
 * into data/raw/ at one moment, loaded by the runs their arrival starts, while `lakehouse ingest`
 * commands start together. Every file must land exactly once, every command end, and a
 * Trino query and Superset's health check answer throughout. The wall time and peak memory
 * are printed (bench/load.ts measures the same on a running stack).
 *
 * `npm test` drops 40 files and starts 8 commands (about 7 minutes on two cores: loads
 * run one at a time); LAKEHOUSE_LOAD=full runs the whole 200 files and 20 commands
 * (about 30 minutes).
 */
const FULL = process.env.LAKEHOUSE_LOAD === "full";
const OPTIONS = FULL
  ? { files: 200, tables: 4, ingests: 20, rows: 200 }
  : { files: 40, tables: 4, ingests: 8, rows: 200 };
const PREFIX = "load_";

const stack = sharedStack("airflow");
const dataDir = join(stack.dir, "data");

beforeAll(async () => {
  mkdirSync(join(dataDir, "raw"), { recursive: true });
  await stack.start();
});

afterAll(async () => {
  await stack.release();
});

describe(`load (${RUNTIME})`, () => {
  it(
    `${OPTIONS.files} files dropped and ${OPTIONS.ingests} ingest commands at once: each file once, the platform answering`,
    async () => {
      const settings = stack.settings();
      const trino = trinoClient(settings);
      const stackMemory = stackMemorySampler(await stack.statuses());
      const report = await runLoadScenario({
        ...OPTIONS,
        dataDir,
        scratchDir: join(stack.dir, "incoming"),
        prefix: PREFIX,
        ingest: (path) => stack.run(["ingest", path]),
        trino,
        supersetHealthUrl: httpUrl(settings, "superset", "/health"),
        stackMemory,
        deadlineMs: (FULL ? 50 : 20) * 60_000,
      });
      console.log(`\nLoad (${RUNTIME}):\n${describeReport(report, OPTIONS)}`);

      expect(report.ingestFailures).toEqual([]);
      expect(report.notLanded).toEqual([]);
      expect(await exactlyOnceProblems(trino, report, PREFIX)).toEqual([]);
      // Responsive throughout: every probe answered, and there were probes.
      expect(report.trino.failed).toEqual([]);
      expect(report.superset.failed).toEqual([]);
      expect(report.trino.answered).toBeGreaterThan(10);
      expect(report.superset.answered).toBeGreaterThan(10);
    },
    // Past the scenario's deadline, so that it reports what had not landed by then.
    (FULL ? 55 : 25) * 60_000,
  );
});
