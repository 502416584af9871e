/**
 * Many files at once (tests/support/load-scenario.ts): --files CSV files of --tables tables
 * dropped into data/raw/ at one moment, loaded by the runs their arrival starts, while --ingests
 * `lakehouse ingest` commands start together, one new file each. Prints the wall time to
 * the last file loaded, files per minute, how long the commands took, how a Trino query
 * and Superset's health check answered meanwhile, and the peak memory of the stack and of
 * the machine; then checks every file is in its table exactly once.
 *
 *   npx tsx bench/load.ts [--files 200] [--tables 4] [--ingests 20] [--rows 500]
 *
 * Uses the configured stack (.env, default ports), which must be up (`./lakehouse up`).
 * Its tables (load_*) and files are removed after.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs, promisify } from "node:util";
import { trinoClient } from "../src/bootstrap/bootstrap.ts";
import { loadSettings } from "../src/config/settings.ts";
import { rejectsTable } from "../src/pipeline/conventions.ts";
import type { ServiceStatus } from "../src/runtime/runtime.ts";
import { httpUrl } from "../src/services/addresses.ts";
import {
  describeReport,
  exactlyOnceProblems,
  runLoadScenario,
} from "../tests/support/load-scenario.ts";
import { stackMemorySampler } from "../tests/support/stack-memory.ts";
import { BenchStack } from "./bench-stack.ts";

const { values } = parseArgs({
  options: {
    files: { type: "string", default: "200" },
    tables: { type: "string", default: "4" },
    ingests: { type: "string", default: "20" },
    rows: { type: "string", default: "500" },
  },
});
const [files, tables, ingests, rows] = [
  values.files,
  values.tables,
  values.ingests,
  values.rows,
].map(Number) as [number, number, number, number];
if (![files, tables, ingests, rows].every((n) => Number.isInteger(n) && n > 0)) {
  console.error("usage: load.ts [--files N] [--tables N] [--ingests N] [--rows N]");
  process.exit(2);
}

const settings = loadSettings();
const trino = trinoClient(settings);
const lakehouse = resolve(import.meta.dirname, "..", "lakehouse");
const exec = promisify(execFile);
const run = (...args: string[]) =>
  exec(lakehouse, args, { maxBuffer: 16 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === "number" ? error.code : 1,
      stdout: error.stdout ?? "",
      stderr: error.stderr ?? "",
    }),
  );

const statuses = JSON.parse((await run("status", "--json")).stdout) as ServiceStatus[];
const stackMemory = stackMemorySampler(statuses);

const prefix = "load_";
const scratchDir = mkdtempSync(join(tmpdir(), "lakehouse-load-"));
const options = { files, tables, ingests, rows };
console.log(
  `load: ${files} files, ${tables} tables, ${ingests} ingest commands, ${rows} rows each`,
);
try {
  const report = await runLoadScenario({
    ...options,
    dataDir: settings.paths.data,
    scratchDir,
    prefix,
    // New contents each run: the ledger remembers an earlier run's, whose tables are gone.
    seed: Date.now() % 1_000_000,
    ingest: (path) => run("ingest", path),
    trino,
    supersetHealthUrl: httpUrl(settings, "superset", "/health"),
    stackMemory,
    deadlineMs: 60 * 60_000,
    log: (line) => console.log(`  ${new Date().toISOString().slice(11, 19)} ${line}`),
  });
  console.log(`\n${describeReport(report, options)}`);
  for (const failure of [
    ...report.ingestFailures,
    ...report.trino.failed,
    ...report.superset.failed,
  ])
    console.log(`  ${failure}`);
  const problems =
    report.notLanded.length === 0 ? await exactlyOnceProblems(trino, report, prefix) : [];
  console.log(
    report.notLanded.length > 0
      ? `not loaded: ${report.notLanded.length} files`
      : problems.length === 0
        ? "every file in its table exactly once"
        : `exactly once: ${problems.length} problems\n  ${problems.slice(0, 20).join("\n  ")}`,
  );
} finally {
  const bench = new BenchStack(settings);
  const made = (await trino.query<[string]>(`SHOW TABLES FROM iceberg.lakehouse LIKE '${prefix}%'`))
    .rows;
  for (const [table] of made) if (!table.endsWith(rejectsTable(""))) await bench.removeLoad(table);
  bench.destroy();
  for (let t = 0; t < tables; t++)
    rmSync(join(settings.paths.data, "raw", `${prefix}t${t}`), { recursive: true, force: true });
  for (let i = 0; i < ingests; i++)
    rmSync(join(settings.paths.data, "raw", `${prefix}cli_${String(i).padStart(2, "0")}.csv`), {
      force: true,
    });
  rmSync(scratchDir, { recursive: true, force: true });
}
