import { execFileSync, spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { envFile } from "../config/paths.ts";
import { loadSettings, type Settings } from "../config/settings.ts";
import { rejectsTable } from "../pipeline/conventions.ts";
import { ingestDirect, rawFiles } from "../pipeline/direct-ingest.ts";
import type { FileOutcome } from "../pipeline/outcomes.ts";
import {
  contractTarget,
  copyIntoRawZone,
  differs,
  rawZoneTarget,
} from "../pipeline/raw-zone-placement.ts";
import {
  compose,
  composeAvailable,
  composeProjectExists,
  composeServices,
  dockerStatuses,
} from "../runtime/docker/compose.ts";
import type { ServiceStatus } from "../runtime/runtime.ts";
import { authority, type Endpoint, httpUrl } from "../services/addresses.ts";
import { closest } from "./command-line.ts";
import { bold, consoleReporter, dim, green, plural, red, yellow } from "./reporter.ts";
import { SQL_FORMATS, type SqlFormat, writeRows } from "./sql-output.ts";
import { printStatusTable } from "./status-table.ts";
import { UsageError, UserError } from "./user-error.ts";

/** What the command line gave (command-line.ts says which command takes which). */
export interface CommandOptions {
  native?: boolean;
  docker?: boolean;
  direct?: boolean;
  json?: boolean;
  watch?: boolean;
  yes?: boolean;
  lines?: string;
  follow?: boolean;
  export?: string;
  overwrite?: boolean;
  format?: string;
  table?: string;
  contract?: string;
  replace?: boolean;
  args: string[];
}

type Command = (options: CommandOptions) => Promise<number>;

const reporter = consoleReporter();

// What only some commands need is loaded by them: `lakehouse ingest --direct` then starts
// without the stack's runtimes and the Airflow and Superset clients (0.3 s of a small
// file's load, measured).
const airflowIngest = () => import("../airflow/ingest-via-airflow.ts");
const backups = () => import("../backup/backup.ts");
const restores = () => import("../backup/restore.ts");
const bootstrapping = () => import("../bootstrap/bootstrap.ts");
const installer = () => import("../install/installer.ts");
const dockerRuntime = () => import("../runtime/docker/docker-runtime.ts");
const nativeRuntime = () => import("../runtime/native/native-runtime.ts");

/** A Docker engine that answers, not just a docker client on PATH. */
function dockerEngineAnswers(): boolean {
  try {
    execFileSync("docker", ["info", "--format", "{{.ServerVersion}}"], {
      stdio: "ignore",
      timeout: 5000,
    });
    return true;
  } catch {
    return false;
  }
}

function modeFromFlags(options: CommandOptions): "native" | "docker" | undefined {
  if (options.native && options.docker) throw new UserError("Choose one of --native and --docker.");
  return options.native ? "native" : options.docker ? "docker" : undefined;
}

/** Which mode `up` starts: docker when an engine answers, unless a flag says. */
function chooseMode(options: CommandOptions): "native" | "docker" {
  return modeFromFlags(options) ?? (dockerEngineAnswers() ? "docker" : "native");
}

/**
 * Which stack `status`, `logs` and `down` act on: the one that exists, docker when this
 * project's containers do (running or stopped), unless a flag says.
 */
function existingMode(s: Settings, options: CommandOptions): "native" | "docker" {
  // Inside the compose network (the DAG's dashboard refresh) the stack is docker mode's.
  if (s.view === "container") return "docker";
  const flagged = modeFromFlags(options);
  if (flagged === "docker") {
    const missing = composeAvailable();
    if (missing) throw new UserError(`Docker mode needs ${missing}.`);
  }
  return flagged ?? (composeProjectExists(s) ? "docker" : "native");
}

/**
 * Lands what is in the drop zone (the sample on a first start) through Airflow, as every
 * load goes (unchanged files are skipped), then provisions the dashboards.
 */
async function landRawZoneAndProvision(s: Settings, mode: "native" | "docker"): Promise<void> {
  const files = rawFiles(s);
  if (files.length > 0) {
    const { ingestViaAirflow } = await airflowIngest();
    const outcomes = await ingestViaAirflow(s, files, reporter);
    printOutcomes(s, outcomes);
    if (outcomes.some((o) => o.status === "failed")) {
      reporter.warn("some files in data/raw were not loaded (above); the stack is up regardless");
    }
  }
  await provisionWithProgress(s, mode);
}

async function provisionWithProgress(
  s: Settings,
  mode: "native" | "docker",
  overwrite = false,
): Promise<void> {
  if (mode === "docker" && s.view === "host") {
    return (await dockerRuntime()).provisionInNetwork(overwrite ? ["--overwrite"] : []);
  }
  const { provisionDashboards } = await import("../superset/provision.ts");
  const done = reporter.step("Provisioning Superset datasets and dashboards");
  const result = await provisionDashboards(s, mode, overwrite, (line) =>
    reporter.info(`  ${line}`),
  );
  const total = Object.keys(result.dashboards).length;
  const unchanged = total - result.written.length;
  const unwritten = result.failed.length;
  done(
    `${result.written.length} of ${total} dashboards written, ${unchanged - unwritten} up to date${result.removed.length > 0 ? `, ${result.removed.length} dropped table(s) removed` : ""}${unwritten > 0 ? `, ${unwritten} failed` : ""}`,
    unwritten === 0,
  );
  if (unwritten > 0) {
    throw new UserError(
      `${unwritten} dashboard(s) could not be written: ${result.failed.join(", ")} (why: above). The others are up to date; ./lakehouse dashboards tries them again.`,
    );
  }
}

/** Asks a yes/no question on the terminal; anything but y or yes is no. */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(question);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

/** Who to log in as; the password itself stays in .env, out of terminals and logs. */
function airflowLoginHint(s: Settings): string {
  return `login ${s.airflow.adminUser}, password AIRFLOW_ADMIN_PASSWORD in ${s.paths.envFile}`;
}

/** Both web logins, for `status`: where each password is, never the password. */
function loginHints(s: Settings): string {
  return [
    `Superset: login ${s.superset.adminUser}, password SUPERSET_ADMIN_PASSWORD in ${s.paths.envFile}`,
    `Airflow:  ${airflowLoginHint(s)}`,
  ].join("\n");
}

function printWhereToLook(s: Settings, logs: string): void {
  const url = (service: Endpoint, path = "") => httpUrl(s, service, path, "host");
  const lines = [
    `Superset (dashboards) ${url("superset", "/superset/dashboard/sales/")}   login ${s.superset.adminUser}, password SUPERSET_ADMIN_PASSWORD in ${s.paths.envFile}`,
    `Airflow               ${url("airflow-apiserver", "/")}   ${airflowLoginHint(s)}`,
    `Flower (Celery)       ${url("airflow-flower", "/")}   same login`,
    `Trino (SQL)           ${url("trino", "/ui/")}   catalog ${s.trino.catalog}, schema ${s.trino.schema}`,
    `S3 (SeaweedFS)        ${url("seaweedfs-s3")}   buckets ${s.s3.bucket}, ${s.s3.warehouseBucket}`,
    `Iceberg REST catalog  ${url("iceberg-rest", "/v1/config")}`,
    `SeaweedFS master UI   ${url("seaweedfs-master", "/")}`,
    `PostgreSQL            ${authority(s, "postgres", "host")}, user ${s.postgres.user}`,
  ];
  const out = process.stdout;
  out.write(`\n${green(bold("The lakehouse is up."))}\n\n`);
  out.write(`${lines.map((line) => `  ${line}\n`).join("")}\n`);
  out.write(`  Credentials: ${s.paths.envFile}\n`);
  out.write(`  Logs:        ${logs}\n`);
  out.write(
    `  Query: ./lakehouse sql "SHOW TABLES"   (catalog ${s.trino.catalog}, schema ${s.trino.schema})\n`,
  );
  out.write(`  Next:  ./lakehouse status   ·   ./lakehouse logs trino   ·   ./lakehouse down\n`);
}

export const commands: Record<string, Command> = {
  async install(options) {
    const s = loadSettings();
    if (options.docker) {
      // Docker mode's install: the images, built from docker/ (cached layers are reused).
      await (await dockerRuntime()).buildImages(s, reporter);
      return 0;
    }
    const count = await (await installer()).install(s.paths.cache, reporter);
    reporter.info(
      count === 0
        ? "Everything is already installed; nothing to do."
        : `Installed ${count} component(s).`,
    );
    return 0;
  },

  async up(options) {
    const mode = chooseMode(options);
    const hadEnv = existsSync(envFile());
    const s = loadSettings();
    if (!hadEnv) {
      reporter.info(`Generated ${s.paths.envFile} with new random secrets (keep it private).`);
    }
    const { bootstrap } = await bootstrapping();
    if (mode === "docker") {
      if (!options.docker)
        reporter.info("A Docker engine answers: using docker compose (--native to avoid).");
      const seconds = await (await dockerRuntime()).startContainers(s, reporter);
      reporter.info(dim(`All containers healthy after ${seconds.toFixed(1)}s.`));
      await bootstrap(s, reporter);
      await landRawZoneAndProvision(s, "docker");
      printWhereToLook(s, "./lakehouse logs SERVICE (docker compose logs)");
      return 0;
    }
    const { install, isFullyInstalled } = await installer();
    if (!isFullyInstalled(s.paths.cache)) await install(s.paths.cache, reporter);
    const { NativeRuntime } = await nativeRuntime();
    const runtime = new NativeRuntime(s, reporter);
    const started = Date.now();
    await runtime.up();
    await bootstrap(s, reporter);
    reporter.info(
      dim(`All services healthy after ${((Date.now() - started) / 1000).toFixed(1)}s.`),
    );
    await landRawZoneAndProvision(s, "native");
    printWhereToLook(s, runtime.supervisor.logDir);
    return 0;
  },

  async ingest(options) {
    const s = loadSettings();
    const placement = { table: options.table, replace: options.replace === true };
    const targets = options.args.map((file) => rawZoneTarget(s, file, placement));
    const contract =
      options.contract === undefined
        ? undefined
        : { source: options.contract, target: contractTarget(s, targets) };
    if (contract && !existsSync(contract.source))
      throw new UserError(`--contract ${contract.source}: no such file`);
    const pairs = options.args.map((file, i) => ({ source: file, target: targets[i] ?? file }));
    if (contract) pairs.push(contract);
    const clashes = pairs.filter((p) => differs(p.source, p.target));
    if (clashes.length > 0 && !placement.replace) {
      const names = clashes.map((c) => relative(s.paths.root, c.target)).join(", ");
      if (!process.stdin.isTTY) {
        throw new UserError(
          `${names} already ${clashes.length === 1 ? "holds a different file" : "hold different files"} of that name. Pass --replace to load yours in ${clashes.length === 1 ? "its" : "their"} place, or rename yours.`,
        );
      }
      if (
        !(await confirm(
          `${names} already ${clashes.length === 1 ? "holds a different file" : "hold different files"}. Replace with yours? [y/N] `,
        ))
      ) {
        reporter.info("Nothing loaded.");
        return 1;
      }
      placement.replace = true;
    }
    const files = pairs.map((p) => copyIntoRawZone(p.source, p.target, placement.replace));
    if (contract) files.pop();
    const outcomes = options.direct
      ? await ingestDirect(s, files, reporter)
      : await (await airflowIngest()).ingestViaAirflow(s, files, reporter);
    printOutcomes(s, outcomes);
    return outcomes.some((o) => o.status === "failed") ? 1 : 0;
  },

  async drop(options) {
    const [table = ""] = options.args;
    const s = loadSettings();
    const mode = existingMode(s, options);
    const { trinoClient } = await bootstrapping();
    const { planDrop, dropTable } = await import("../pipeline/drop-table.ts");
    const trino = trinoClient(s);
    const plan = await planDrop(s, trino, table);
    const what = [
      `table ${table} (${plural(plan.rows, "row")})`,
      ...(plan.rejects ? [rejectsTable(table)] : []),
      `its ${plan.loads} load record(s)`,
      "its raw-zone objects",
      "its dashboard",
    ].join(", ");
    if (!options.yes) {
      if (!process.stdin.isTTY) throw new UserError(`drop removes ${what}; pass --yes to confirm.`);
      if (!(await confirm(`Drop ${what}? Its CSV files move to data/dropped/. [y/N] `))) {
        reporter.info("Nothing dropped.");
        return 1;
      }
    }
    const done = reporter.step(`Dropping ${table}`);
    const movedTo = await dropTable(s, trino, plan, (line) => reporter.info(`  ${line}`));
    done(movedTo ? `its CSV files are in ${relative(s.paths.root, movedTo)}/` : "done");
    await provisionWithProgress(s, mode);
    return 0;
  },

  async dashboards(options) {
    const s = loadSettings();
    if (options.export !== undefined) {
      const { exportCurated } = await import("../superset/provision.ts");
      const dir = resolve(options.export);
      const done = reporter.step(`Exporting the curated dashboards into ${dir}`);
      const slugs = await exportCurated(s, dir);
      done(slugs.map((slug) => join(dir, slug)).join(", "));
      return 0;
    }
    await provisionWithProgress(s, existingMode(s, options), options.overwrite === true);
    return 0;
  },

  async sql(options) {
    const [statement] = options.args;
    if (!statement || options.args.length > 1) {
      throw new UserError(
        'One statement, quoted. Usage: lakehouse sql "SELECT count(*) FROM sales_sample" [--format table|csv|json]',
      );
    }
    const format = options.format ?? "table";
    if (!(SQL_FORMATS as readonly string[]).includes(format)) {
      throw new UserError(`--format ${format}: choose one of ${SQL_FORMATS.join(", ")}.`);
    }
    const { trinoClient } = await bootstrapping();
    const { TrinoError } = await import("../clients/trino.ts");
    const s = loadSettings();
    let result: Awaited<ReturnType<ReturnType<typeof trinoClient>["query"]>>;
    try {
      result = await trinoClient(s).query(statement, { exact: true });
    } catch (error) {
      // A mistake in the statement is the user's to fix: Trino's message says where.
      if (error instanceof TrinoError && error.errorName !== "HTTP_ERROR") {
        throw new UserError(
          `${error.message} (${error.errorName}). Tables: ./lakehouse sql "SHOW TABLES"; catalog ${s.trino.catalog}, schema ${s.trino.schema}.`,
        );
      }
      throw error;
    }
    writeRows(result.columns, result.rows, format as SqlFormat);
    const count = result.rows.length;
    process.stderr.write(dim(`(${count} row${count === 1 ? "" : "s"})\n`));
    return 0;
  },

  async down(options) {
    const s = loadSettings();
    if (existingMode(s, options) === "docker") {
      await (await dockerRuntime()).removeContainers(s);
      reporter.info("Removed the containers; the data stays in the compose volumes.");
      return 0;
    }
    const { NativeRuntime } = await nativeRuntime();
    const stopped = await new NativeRuntime(s, reporter).down();
    reporter.info(
      stopped.length
        ? `Stopped ${stopped.length} service(s); data kept in ${s.paths.state}.`
        : "Nothing was running.",
    );
    return 0;
  },

  async status(options) {
    const s = loadSettings();
    const docker = existingMode(s, options) === "docker";
    const runtime = docker ? undefined : new (await nativeRuntime()).NativeRuntime(s, reporter);
    const read = async () => (runtime ? runtime.status() : dockerStatuses(s));
    const print = (statuses: ServiceStatus[]) => {
      if (options.json) {
        process.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
      } else {
        printStatusTable(statuses);
        process.stdout.write(`\n${loginHints(s)}\n`);
      }
    };
    if (!options.watch) {
      const statuses = await read();
      print(statuses);
      return statuses.every((x) => x.health === "healthy") ? 0 : 3;
    }
    // Redrawn in place, as `watch` would, until Ctrl-C.
    for (;;) {
      const statuses = await read();
      if (process.stdout.isTTY) process.stdout.write("\x1b[H\x1b[2J");
      print(statuses);
      process.stdout.write(
        dim(`\n${new Date().toLocaleTimeString()} · every 2 s · Ctrl-C to stop\n`),
      );
      await new Promise((r) => setTimeout(r, 2000));
    }
  },

  async logs(options) {
    const [name] = options.args;
    const lines = options.lines === undefined ? 50 : Number(options.lines);
    if (!Number.isInteger(lines) || lines < 0) {
      throw new UsageError(`-n ${options.lines}: give a whole number of lines, e.g. -n 100.`);
    }
    const s = loadSettings();
    const { CATALOGUE } = await import("../services/catalogue.ts");
    const names = CATALOGUE.map((x) => x.name);
    const docker = existingMode(s, options) === "docker";
    // Docker mode has a few services of its own (init jobs, the scale profile's), which
    // Compose knows (asked only for a name the catalogue lacks: the plugin starts in 0.4 s).
    const known =
      name && docker && !names.includes(name) ? Object.keys(composeServices(s)).sort() : names;
    if (name && !known.includes(name)) {
      const guess = closest(name, known);
      throw new UserError(
        `No service "${name}".${guess ? ` Did you mean "${guess}"?` : ""} Services: ${names.join(", ")}.`,
      );
    }
    if (docker) {
      const follow = options.follow ? ["--follow"] : [];
      return compose(s, "logs", "--tail", String(lines), ...follow, ...(name ? [name] : []));
    }
    const { NativeRuntime, tail } = await nativeRuntime();
    const runtime = new NativeRuntime(s, reporter);
    const paths = (name ? [name] : names).map((n) => runtime.logPath(n)).filter(existsSync);
    if (paths.length === 0) {
      reporter.info(`No log yet${name ? ` for ${name}` : ""} (${runtime.logPath(name ?? "")}).`);
      return 1;
    }
    if (options.follow) {
      // tail -F follows each file across the keeper's restarts, with a header per file.
      const child = spawn("tail", ["-F", "-n", String(lines), ...paths], { stdio: "inherit" });
      return new Promise((done) => child.once("exit", (code) => done(code ?? 0)));
    }
    for (const path of paths)
      process.stdout.write(`${dim(`==> ${path} <==`)}\n${tail(path, lines)}\n`);
    return 0;
  },

  async doctor() {
    const s = loadSettings();
    const { runDoctor } = await import("./doctor.ts");
    const { NativeRuntime } = await nativeRuntime();
    return runDoctor(s, new NativeRuntime(s, reporter), dockerEngineAnswers());
  },

  async backup(options) {
    const s = loadSettings();
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
    const dir = resolve(options.args[0] ?? join(s.paths.root, "backups", `lakehouse-${stamp}`));
    const { takeBackup, mib } = await backups();
    const manifest = await takeBackup(s, existingMode(s, options), dir, reporter);
    const bytes = manifest.buckets.reduce((sum, b) => sum + b.bytes, 0);
    reporter.info(
      `${green("✓")} Backed up ${manifest.tables.length} tables, ${manifest.databases.length} databases and ${mib(bytes)} of objects in ${manifest.seconds.toFixed(1)} s to ${dir}\n` +
        `  Restore it with: ./lakehouse restore ${dir}`,
    );
    return 0;
  },

  async restore(options) {
    const [dir] = options.args;
    if (!dir) throw new UserError("Which backup? Usage: lakehouse restore DIR");
    const s = loadSettings();
    // A docker install reset (containers and volumes removed) is restored with --docker.
    const mode = existingMode(s, options);
    if (!options.yes) {
      const question = `This replaces every table, dashboard and Airflow record with the backup in ${resolve(dir)}. Continue? [y/N] `;
      if (!(await confirm(question))) {
        reporter.info("Nothing restored.");
        return 1;
      }
    }
    const { restoreBackup } = await restores();
    const manifest = await restoreBackup(s, mode, dir, reporter);
    reporter.info(
      `${green("✓")} Restored the backup of ${manifest.createdAt}: ${manifest.tables.length} tables. See ./lakehouse status`,
    );
    return 0;
  },

  async reset(options) {
    const s = loadSettings();
    const docker = existingMode(s, options) === "docker";
    const where = docker ? `the compose volumes and ${s.paths.state}` : s.paths.state;
    if (!options.yes) {
      if (!process.stdin.isTTY) {
        process.stderr.write(
          `${red("error:")} reset deletes all data in ${where}; pass --yes to confirm.\n`,
        );
        return 2;
      }
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      const answer = await rl.question(
        `${yellow("This stops the stack and deletes every table, object and log in")} ${where}. Type "reset" to confirm: `,
      );
      rl.close();
      if (answer.trim() !== "reset") {
        reporter.info("Nothing deleted.");
        return 1;
      }
    }
    // Docker mode: the containers and their named volumes (databases, object store, logs).
    if (docker) await (await dockerRuntime()).removeContainers(s, true);
    else await new (await nativeRuntime()).NativeRuntime(s, reporter).down();
    rmSync(s.paths.state, { recursive: true, force: true });
    reporter.info(
      `Deleted ${where}. Your CSV files in ${s.paths.data} and ${s.paths.envFile} are kept.`,
    );
    return 0;
  },
};

/** What a keyed load did to its table's rows: "(2 inserted, 1 updated, 1 deleted)". */
function keyedChanges(o: FileOutcome): string {
  if (o.rows_inserted == null) return ""; // null in the loader's JSON for a plain load
  const duplicates = o.duplicate_keys
    ? `; ${plural(o.duplicate_keys, "earlier row")} of a key overridden by its last`
    : "";
  return ` (${o.rows_inserted} inserted, ${o.rows_updated ?? 0} updated, ${o.rows_deleted ?? 0} deleted${duplicates})`;
}

/** One line per file: where its rows went, or what is wrong with it. */
function printOutcomes(s: Settings, outcomes: FileOutcome[]): void {
  for (const o of outcomes) {
    const table = `iceberg.${s.trino.schema}.${o.table}`;
    if (o.status === "failed") {
      process.stdout.write(`${red("✗")} ${o.error}\n`);
    } else if (o.table === undefined) {
      // Loaded, but its result could not be read (the error says why).
      process.stdout.write(`${green("✓")} ${o.file}: loaded; ${o.error ?? "no details"}\n`);
    } else if (o.status === "unchanged") {
      process.stdout.write(`${green("✓")} ${o.file}: already in ${table}, unchanged\n`);
    } else {
      const rejects = o.rows_rejected
        ? `, ${o.rows_rejected} rejected (see ${rejectsTable(table)})`
        : "";
      process.stdout.write(
        `${green("✓")} ${o.file} → ${table}: ${plural(o.rows_accepted, "row")}${keyedChanges(o)}${rejects}\n`,
      );
    }
  }
}
