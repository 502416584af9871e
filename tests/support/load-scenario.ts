/**
 * Many files at once, the load a platform meets when a team's exports arrive together:
 * a batch of CSV files of several tables dropped into data/raw/ at one moment (loaded by
 * the runs their arrival starts) while several `lakehouse ingest` commands start together.
 * Meanwhile a Trino query (the tables the catalog lists) and Superset's health check are
 * asked every few seconds, and
 * the memory the stack and the machine hold is sampled. The load test
 * (tests/integration/load.test.ts) and the benchmark (bench/load.ts) run it.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TrinoClient } from "../../src/clients/trino.ts";
import { LEDGER_TABLE, SOURCE_FILE } from "../../src/pipeline/conventions.ts";
import { salesLines } from "../../src/sample/sales.ts";

/** One file of the scenario and what its table must hold of it. */
export interface ScenarioFile {
  /** Where it is written. */
  path: string;
  /** As the ledger and the lineage column name it: data/raw/... */
  source: string;
  table: string;
  rows: number;
  quantity: number;
}

export interface ScenarioOptions {
  /** The install's data folder (its raw/ is the drop zone). */
  dataDir: string;
  /** Where the files for `lakehouse ingest` are written, outside data/raw/. */
  scratchDir: string;
  /** Files dropped into data/raw/ at once, spread over `tables` folders. */
  files: number;
  tables: number;
  /** `lakehouse ingest` commands started together, one new file (and table) each. */
  ingests: number;
  rows: number;
  /** Table names start with it, so a run's tables are told apart from others. */
  prefix: string;
  /** Makes the files' contents differ from an earlier run's with the same names. */
  seed?: number;
  /** Runs `lakehouse ingest FILE`: its exit code and output. */
  ingest: (path: string) => Promise<{ code: number; stdout: string; stderr: string }>;
  trino: TrinoClient;
  supersetHealthUrl: string;
  /** MiB the stack's services hold now. */
  stackMemory: () => number;
  /** How long everything may take before the scenario gives up waiting. */
  deadlineMs: number;
  /** Progress lines, for long runs. */
  log?: (line: string) => void;
}

export interface ProbeSummary {
  answered: number;
  failed: string[];
  medianMs: number;
  maxMs: number;
}

export interface ScenarioReport {
  files: ScenarioFile[];
  /** When the files were written: ledger rows from before belong to earlier runs. */
  since: Date;
  wallSeconds: number;
  /** Seconds each `lakehouse ingest` took, and the failures among them. */
  ingestSeconds: number[];
  ingestFailures: string[];
  /** Files without a `loaded` ledger row when the deadline passed. */
  notLanded: string[];
  trino: ProbeSummary;
  superset: ProbeSummary;
  stackPeakMiB: number;
  stackStartMiB: number;
  machinePeakMiB: number;
  machineStartMiB: number;
}

/** The sum of the quantity column over a file's lines (header first). */
function quantityOf(lines: string[]): number {
  const column = (lines[0] ?? "").split(",").indexOf("quantity");
  return lines.slice(1).reduce((sum, line) => sum + Number(line.split(",")[column]), 0);
}

function writeFile(path: string, source: string, table: string, rows: number, seed: number) {
  const lines = [...salesLines(rows, seed)];
  writeFileSync(path, `${lines.join("\n")}\n`);
  return { path, source, table, rows: lines.length - 1, quantity: quantityOf(lines) };
}

/** MiB of memory in use on the machine: total less what the kernel could still hand out. */
export function machineMemory(): number {
  const info = readFileSync("/proc/meminfo", "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(info)?.[1] ?? 0);
  return (kb("MemTotal") - kb("MemAvailable")) / 1024;
}

/** Calls `probe` every `everyMs` until stopped, timing each answer. */
class Probe {
  private readonly times: number[] = [];
  private readonly failed: string[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(probe: () => Promise<void>, everyMs: number) {
    this.loop = (async () => {
      while (this.running) {
        const started = performance.now();
        try {
          await probe();
          this.times.push(performance.now() - started);
        } catch (error) {
          this.failed.push(`${new Date().toISOString()}: ${(error as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
  }

  async stop(): Promise<ProbeSummary> {
    this.running = false;
    await this.loop;
    const sorted = [...this.times].sort((a, b) => a - b);
    return {
      answered: sorted.length,
      failed: this.failed,
      medianMs: sorted[Math.floor(sorted.length / 2)] ?? 0,
      maxMs: sorted.at(-1) ?? 0,
    };
  }
}

/** The largest value `sample` gave, every `everyMs` until stopped, and the first. */
class Peak {
  readonly start: number;
  private peak: number;
  private readonly timer: NodeJS.Timeout;

  constructor(sample: () => number, everyMs: number) {
    this.start = sample();
    this.peak = this.start;
    this.timer = setInterval(() => {
      try {
        this.peak = Math.max(this.peak, sample());
      } catch {
        // A sample that could not be read (a process gone meanwhile) is skipped.
      }
    }, everyMs);
  }

  stop(): number {
    clearInterval(this.timer);
    return this.peak;
  }
}

/** An answer within `ms`, or an error saying what did not answer. */
function within<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

const quote = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** How many `loaded` ledger rows each source of the scenario has since it began. */
async function landedSources(
  trino: TrinoClient,
  prefix: string,
  since: Date,
): Promise<Map<string, number>> {
  const result = await trino.query<[string, number]>(
    `SELECT file_path, count(*) FROM iceberg.lakehouse.${LEDGER_TABLE} WHERE status = 'loaded' AND file_path LIKE ${quote(`data/raw/${prefix}%`)} AND finished_at >= from_iso8601_timestamp(${quote(since.toISOString())}) GROUP BY 1`,
  );
  return new Map(result.rows.map(([path, count]) => [path, Number(count)]));
}

export async function runLoadScenario(o: ScenarioOptions): Promise<ScenarioReport> {
  const log = o.log ?? (() => {});
  const seed = o.seed ?? 0;
  const since = new Date();
  mkdirSync(o.scratchDir, { recursive: true });
  const ingestFiles = Array.from({ length: o.ingests }, (_, i) => {
    const table = `${o.prefix}cli_${String(i).padStart(2, "0")}`;
    return writeFile(
      join(o.scratchDir, `${table}.csv`),
      `data/raw/${table}.csv`,
      table,
      o.rows,
      5000 + i,
    );
  });

  const stackPeak = new Peak(o.stackMemory, 2000);
  const machinePeak = new Peak(machineMemory, 2000);
  // The tables the catalog lists: Trino and the Iceberg catalog both answer it, and it
  // exists before the first load (the ledger does not, on a fresh install).
  const trinoProbe = new Probe(async () => {
    await within(
      "Trino",
      120_000,
      o.trino.query(
        "SELECT count(*) FROM iceberg.information_schema.tables WHERE table_schema = 'lakehouse'",
      ),
    );
  }, 5000);
  const supersetProbe = new Probe(async () => {
    const response = await fetch(o.supersetHealthUrl, { signal: AbortSignal.timeout(120_000) });
    if (!response.ok) throw new Error(`Superset /health: HTTP ${response.status}`);
  }, 5000);
  const started = performance.now();

  // The batch, all at one moment, then the commands together.
  const dropped: ScenarioFile[] = [];
  for (let t = 0; t < o.tables; t++) {
    const table = `${o.prefix}t${t}`;
    mkdirSync(join(o.dataDir, "raw", table), { recursive: true });
  }
  for (let i = 0; i < o.files; i++) {
    const table = `${o.prefix}t${i % o.tables}`;
    const name = `part-${String(i).padStart(3, "0")}.csv`;
    const source = `data/raw/${table}/${name}`;
    dropped.push(
      writeFile(join(o.dataDir, "raw", table, name), source, table, o.rows, seed + 1000 + i),
    );
  }
  log(
    `${o.files} files dropped into data/raw/ (${o.tables} tables); ${o.ingests} ingest commands starting`,
  );
  const ingestSeconds: number[] = [];
  const ingestFailures: string[] = [];
  await Promise.all(
    ingestFiles.map(async (file) => {
      const begun = performance.now();
      const result = await o.ingest(file.path);
      ingestSeconds.push((performance.now() - begun) / 1000);
      if (result.code !== 0)
        ingestFailures.push(
          `${file.table}: exit ${result.code}\n${result.stdout}\n${result.stderr}`,
        );
    }),
  );
  log(`ingest commands done (${ingestFailures.length} failed); waiting for the batch`);

  const files = [...dropped, ...ingestFiles];
  const deadline = Date.now() + o.deadlineMs;
  let notLanded = files.map((f) => f.source);
  for (;;) {
    const landed = await landedSources(o.trino, o.prefix, since).catch(() => undefined);
    if (landed) notLanded = files.filter((f) => !landed.has(f.source)).map((f) => f.source);
    if (notLanded.length === 0 || Date.now() > deadline) break;
    log(`${files.length - notLanded.length} of ${files.length} files loaded`);
    await new Promise((r) => setTimeout(r, 15_000));
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const [trino, superset] = await Promise.all([trinoProbe.stop(), supersetProbe.stop()]);
  return {
    files,
    since,
    wallSeconds,
    ingestSeconds,
    ingestFailures,
    notLanded,
    trino,
    superset,
    stackPeakMiB: stackPeak.stop(),
    stackStartMiB: stackPeak.start,
    machinePeakMiB: machinePeak.stop(),
    machineStartMiB: machinePeak.start,
  };
}

/**
 * What is wrong with the tables after the scenario: for every file, its rows in its table
 * (by the lineage column) must be exactly its rows, their quantities sum to the file's,
 * and the ledger must hold exactly one `loaded` row for it; no other source in the tables.
 */
export async function exactlyOnceProblems(
  trino: TrinoClient,
  report: ScenarioReport,
  prefix: string,
): Promise<string[]> {
  const { files } = report;
  const problems: string[] = [];
  const ledger = await landedSources(trino, prefix, report.since);
  for (const table of new Set(files.map((f) => f.table))) {
    const result = await trino.query<[string, number, number]>(
      `SELECT ${SOURCE_FILE}, count(*), sum(quantity) FROM iceberg.lakehouse.${table} GROUP BY 1`,
    );
    const held = new Map(
      result.rows.map(([source, rows, quantity]) => [source, `${rows} ${quantity}`]),
    );
    for (const file of files.filter((f) => f.table === table)) {
      const want = `${file.rows} ${file.quantity}`;
      if (held.get(file.source) !== want)
        problems.push(
          `${file.source}: ${held.get(file.source) ?? "no rows"} in ${table}, want ${want}`,
        );
      if (ledger.get(file.source) !== 1)
        problems.push(`${file.source}: ${ledger.get(file.source) ?? 0} loaded ledger rows, want 1`);
      held.delete(file.source);
    }
    for (const source of held.keys())
      problems.push(`${table}: rows of unexpected source ${source}`);
  }
  return problems;
}

/** The report as lines a person reads. */
export function describeReport(
  r: ScenarioReport,
  o: Pick<ScenarioOptions, "files" | "tables" | "ingests" | "rows">,
): string {
  const sorted = [...r.ingestSeconds].sort((a, b) => a - b);
  const probe = (p: ProbeSummary) =>
    `${p.answered} answered, ${p.failed.length} failed, median ${(p.medianMs / 1000).toFixed(1)} s, max ${(p.maxMs / 1000).toFixed(1)} s`;
  return [
    `${o.files} files (${o.tables} tables) dropped + ${o.ingests} ingest commands, ${o.rows} rows each: ${r.files.length - r.notLanded.length} of ${r.files.length} loaded in ${r.wallSeconds.toFixed(0)} s (${((r.files.length / r.wallSeconds) * 60).toFixed(1)} files/min)`,
    `ingest commands: median ${(sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(0)} s, longest ${(sorted.at(-1) ?? 0).toFixed(0)} s, ${r.ingestFailures.length} failed`,
    `Trino query meanwhile: ${probe(r.trino)}`,
    `Superset /health meanwhile: ${probe(r.superset)}`,
    `stack memory: ${r.stackStartMiB.toFixed(0)} MiB before, peak ${r.stackPeakMiB.toFixed(0)} MiB; machine in use: ${r.machineStartMiB.toFixed(0)} MiB before, peak ${r.machinePeakMiB.toFixed(0)} MiB`,
  ].join("\n");
}
