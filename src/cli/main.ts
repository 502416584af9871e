import { parseArgs } from "node:util";
import { SettingsError } from "../config/settings.ts";
import { PrerequisiteError } from "../install/prerequisites.ts";
import { ServiceStartError } from "../runtime/runtime.ts";
import { commands } from "./commands.ts";
import { bold, red } from "./reporter.ts";
import { UserError } from "./user-error.ts";

const USAGE = `${bold("lakehouse")} — CSV files in, Iceberg tables and dashboards out.

Usage: lakehouse <command> [options]

Commands:
  up [--native|--docker]   install what is missing, start the stack, load data/raw/, provision dashboards
  down                     stop every service, keep all data
  status [--json]          each service's state, health, URL and log file
  logs <service> [-n N]    the last N lines (default 50) of a service's log
  ingest FILE...           load CSV files now through Airflow, following each file's task
  ingest --direct FILE...  the same load without Airflow (debugging, benchmarks)
  dashboards [--overwrite] create or update Superset's datasets and dashboards (only what changed)
  dashboards --export DIR  write the curated dashboards as Superset asset bundles into DIR
  sql "STATEMENT"          run one SQL statement on Trino (catalog iceberg, schema lakehouse);
                           --format table|csv|json, every value exactly as Trino sends it
  install [--docker]       download and build what native mode runs, or docker mode's images (idempotent)
  doctor                   check ports, memory, disk and tool versions, with fixes
  backup [DIR]             a consistent copy of the tables, databases and objects, taken while running
  restore DIR [--yes]      bring the platform back to a backup (asks first)
  reset [--yes]            stop and delete all data (asks first)

down, status, logs and dashboards act on the docker compose stack when its containers exist,
else on native mode's processes; --native or --docker chooses.

Settings come from .env (generated on first run) and the environment; see README.md.
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      native: { type: "boolean" },
      docker: { type: "boolean" },
      direct: { type: "boolean" },
      json: { type: "boolean" },
      yes: { type: "boolean", short: "y" },
      lines: { type: "string", short: "n" },
      export: { type: "string" },
      overwrite: { type: "boolean" },
      format: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [name, ...rest] = positionals;
  if (!name || values.help || name === "help") {
    process.stdout.write(USAGE);
    return name || values.help ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`Unknown command "${name}".\n\n${USAGE}`);
    return 2;
  }
  return command({ ...values, args: rest });
}

// `lakehouse status | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof ServiceStartError) {
    process.stderr.write(`\n${red("error:")} ${error.message}\n`);
    if (error.logTail)
      process.stderr.write(`\nLast lines of ${error.logPath}:\n${error.logTail}\n`);
    process.stderr.write(
      "\nRun `./lakehouse status` to see what is running, `./lakehouse down` to stop it.\n",
    );
  } else if (
    error instanceof SettingsError ||
    error instanceof PrerequisiteError ||
    error instanceof UserError
  ) {
    process.stderr.write(`${red("error:")} ${error.message}\n`);
  } else {
    process.stderr.write(`${red("error:")} ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exitCode = 1;
}
