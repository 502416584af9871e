/**
 * What the command line accepts, per command: its options, how many arguments, its help.
 * Parsed with node's own `util.parseArgs` in strict mode, so an option a command does not
 * take is a mistake named in one line with the closest real one, never ignored.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "./user-error.ts";

type OptionSpec = { type: "boolean" | "string"; short?: string; value?: string; help: string };

export interface CommandSpec {
  /** The arguments after the command's name, as the usage line shows them. */
  usage: string;
  /** One line for the command list. */
  summary: string;
  /** What it does, in a few lines, for `lakehouse COMMAND --help`. */
  details?: string;
  options: Record<string, OptionSpec>;
  /** How many arguments it takes. */
  args: { min: number; max: number };
}

const MODE: Record<string, OptionSpec> = {
  native: { type: "boolean", help: "act on native mode's processes" },
  docker: { type: "boolean", help: "act on docker mode's containers" },
};
const YES: Record<string, OptionSpec> = {
  yes: { type: "boolean", short: "y", help: "do not ask first" },
};
const ANY = Number.POSITIVE_INFINITY;

export const COMMAND_SPECS: Record<string, CommandSpec> = {
  up: {
    usage: "[--native|--docker]",
    summary: "install what is missing, start the stack, load data/raw/, provision dashboards",
    details:
      "Docker mode when a Docker engine answers, else native processes. Safe to repeat: running services and loaded files are left alone.",
    options: {
      native: { type: "boolean", help: "run the services as local processes" },
      docker: { type: "boolean", help: "run the services as containers (docker compose)" },
    },
    args: { min: 0, max: 0 },
  },
  down: {
    usage: "",
    summary: "stop every service, keep all data",
    options: { ...MODE },
    args: { min: 0, max: 0 },
  },
  status: {
    usage: "[--json] [--watch]",
    summary: "each service's state, health, restarts, URL and log file",
    details: "Exit code 0 when every service is healthy, 3 when one is not.",
    options: {
      json: { type: "boolean", help: "print JSON" },
      watch: { type: "boolean", short: "w", help: "redraw every 2 seconds until Ctrl-C" },
      ...MODE,
    },
    args: { min: 0, max: 0 },
  },
  logs: {
    usage: "[SERVICE] [-n N] [-f]",
    summary: "the last lines of a service's log (every service's without SERVICE)",
    options: {
      lines: { type: "string", short: "n", value: "N", help: "how many lines (default 50)" },
      follow: { type: "boolean", short: "f", help: "keep printing new lines until Ctrl-C" },
      ...MODE,
    },
    args: { min: 0, max: 1 },
  },
  ingest: {
    usage: "FILE... [--table NAME] [--contract FILE] [--replace] [--direct]",
    summary: "load CSV files now through Airflow, following each file's task",
    details:
      "A file from outside data/raw/ is copied in first. A different file of the same name already there is never overwritten silently: you are asked, or --replace says so.",
    options: {
      table: {
        type: "string",
        value: "NAME",
        help: "load into this table (default: the file's name)",
      },
      contract: {
        type: "string",
        value: "FILE",
        help: "validate against this contract (stored as data/raw/<table>.contract.yaml)",
      },
      replace: { type: "boolean", help: "replace a different file of the same name in data/raw/" },
      direct: {
        type: "boolean",
        help: "load in this process, without Airflow (debugging, benchmarks)",
      },
    },
    args: { min: 1, max: ANY },
  },
  drop: {
    usage: "TABLE [--yes]",
    summary: "remove a table, its rejects, its load history and its dashboard (asks first)",
    details:
      "Its CSV files are moved out of data/raw/ into data/dropped/, so the next scan does not load them again.",
    options: { ...YES, ...MODE },
    args: { min: 1, max: 1 },
  },
  dashboards: {
    usage: "[--overwrite] [--export DIR]",
    summary: "create or update Superset's datasets and dashboards (only what changed)",
    options: {
      overwrite: {
        type: "boolean",
        help: "take the project's Sales and Data quality back over a hand edit",
      },
      export: {
        type: "string",
        value: "DIR",
        help: "write the curated dashboards as asset bundles into DIR",
      },
      ...MODE,
    },
    args: { min: 0, max: 0 },
  },
  sql: {
    usage: '"STATEMENT" [--format table|csv|json]',
    summary: "run one SQL statement on Trino, every value exactly as Trino sends it",
    details:
      "Catalog iceberg, schema lakehouse: SELECT count(*) FROM sales_sample works as written.",
    options: {
      format: {
        type: "string",
        value: "table|csv|json",
        help: "how to print the rows (default table)",
      },
    },
    args: { min: 1, max: 1 },
  },
  install: {
    usage: "[--docker]",
    summary: "download and build what native mode runs, or docker mode's images",
    options: { docker: { type: "boolean", help: "build docker mode's images instead" } },
    args: { min: 0, max: 0 },
  },
  doctor: {
    usage: "",
    summary: "check ports, memory, disk and tool versions, with fixes",
    options: {},
    args: { min: 0, max: 0 },
  },
  backup: {
    usage: "[DIR]",
    summary: "a consistent copy of the tables, databases and objects, taken while running",
    options: { ...MODE },
    args: { min: 0, max: 1 },
  },
  restore: {
    usage: "DIR [--yes]",
    summary: "bring the platform back to a backup (asks first)",
    options: { ...YES, ...MODE },
    args: { min: 1, max: 1 },
  },
  reset: {
    usage: "[--yes]",
    summary: "stop and delete all data (asks first)",
    options: { ...YES, ...MODE },
    args: { min: 0, max: 0 },
  },
};

/** Options every command takes. */
const COMMON: Record<string, OptionSpec> = {
  help: { type: "boolean", short: "h", help: "this help" },
  debug: { type: "boolean", help: "show where an unexpected error happened (its stack trace)" },
};

export type ParsedOptions = Record<string, string | boolean | undefined>;

export type CommandLine =
  | { kind: "help"; text: string }
  | { kind: "version" }
  | { kind: "run"; command: string; options: ParsedOptions; args: string[]; debug: boolean };

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The candidate closest to what was typed: a prefix of it, or at most a third of it wrong. */
export function closest(typed: string, candidates: readonly string[]): string | undefined {
  const prefixed = candidates.filter((c) => c.startsWith(typed) || typed.startsWith(c));
  if (prefixed.length === 1) return prefixed[0];
  const scored = candidates
    .map((c) => ({ c, d: distance(typed, c) }))
    .filter(({ c, d }) => d <= Math.max(1, Math.floor(Math.max(c.length, typed.length) / 3)))
    .sort((x, y) => x.d - y.d);
  return scored[0]?.c;
}

function optionUsage(name: string, spec: OptionSpec): string {
  const short = spec.short ? `-${spec.short}, ` : "";
  return `${short}--${name}${spec.value ? ` ${spec.value}` : ""}`;
}

export function usage(bold: (s: string) => string = (s) => s): string {
  const width = Math.max(...Object.keys(COMMAND_SPECS).map((n) => n.length)) + 2;
  const list = Object.entries(COMMAND_SPECS)
    .map(([name, spec]) => `  ${name.padEnd(width)}${spec.summary}`)
    .join("\n");
  return `${bold("lakehouse")} — CSV files in, Iceberg tables and dashboards out.

Usage: lakehouse <command> [options]

Commands:
${list}

  lakehouse <command> --help   that command's options
  lakehouse --version          the version

down, status, logs, dashboards, backup, restore, reset and drop act on the docker compose
stack when its containers exist, else on native mode's processes; --native or --docker chooses.
Settings come from .env (generated on first run) and the environment; see README.md.
`;
}

export function commandHelp(name: string): string {
  const spec = COMMAND_SPECS[name];
  if (!spec) throw new UsageError(`Unknown command "${name}".`);
  const options = { ...spec.options, ...COMMON };
  const width = Math.max(...Object.entries(options).map(([n, o]) => optionUsage(n, o).length)) + 2;
  const lines = Object.entries(options).map(
    ([n, o]) => `  ${optionUsage(n, o).padEnd(width)}${o.help}`,
  );
  return `Usage: lakehouse ${name}${spec.usage ? ` ${spec.usage}` : ""}

${spec.summary[0]?.toUpperCase()}${spec.summary.slice(1)}.${spec.details ? `\n${spec.details}` : ""}

Options:
${lines.join("\n")}
`;
}

/** The option a parseArgs error names (`--foo`, `-x`), when it names one. */
function namedOption(message: string): string | undefined {
  return /'(-{1,2}[^' ,]+)/.exec(message)?.[1];
}

/** Reads the command line: help, the version, or a command with its options and arguments. */
export function parseCommandLine(argv: string[]): CommandLine {
  const name = argv.find((a) => !a.startsWith("-"));
  const before = name === undefined ? argv : argv.slice(0, argv.indexOf(name));
  if (before.includes("--version") || before.includes("-V")) return { kind: "version" };
  if (name === undefined || name === "help") {
    const topic = name === "help" ? argv[argv.indexOf(name) + 1] : undefined;
    if (topic !== undefined && COMMAND_SPECS[topic])
      return { kind: "help", text: commandHelp(topic) };
    if (
      name === undefined &&
      before.length > 0 &&
      !before.every((a) => a === "-h" || a === "--help" || a === "--debug")
    )
      throw new UsageError(
        `${before[0]} is not an option here. Usage: lakehouse <command> [options]; lakehouse --help lists the commands.`,
      );
    return { kind: "help", text: usage() };
  }
  const spec = COMMAND_SPECS[name];
  if (!spec) {
    const guess = closest(name, Object.keys(COMMAND_SPECS));
    throw new UsageError(
      `"${name}" is not a lakehouse command.${guess ? ` Did you mean "${guess}"?` : ""} lakehouse --help lists them.`,
    );
  }
  const options = { ...spec.options, ...COMMON };
  const config: ParseArgsConfig["options"] = Object.fromEntries(
    Object.entries(options).map(([n, o]) => [
      n,
      o.short ? { type: o.type, short: o.short } : { type: o.type },
    ]),
  );
  let parsed: { values: ParsedOptions; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: config,
      allowPositionals: true,
      strict: true,
    }) as typeof parsed;
  } catch (error) {
    const code = (error as { code?: string }).code;
    const option = namedOption((error as Error).message);
    const hint = `lakehouse ${name} --help lists its options.`;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) {
      const bare = option.replace(/^-+/, "");
      const guess = closest(bare, Object.keys(options));
      throw new UsageError(
        `${name} has no option ${option}.${guess ? ` Did you mean --${guess}?` : ""} ${hint}`,
      );
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) {
      const entry = Object.entries(options).find(
        ([n, o]) => option === `--${n}` || option === `-${o.short}`,
      );
      throw new UsageError(
        entry?.[1].value
          ? `${option} needs a value: ${optionUsage(entry[0], entry[1])}. ${hint}`
          : `${option} takes no value. ${hint}`,
      );
    }
    throw new UsageError(`${(error as Error).message}. ${hint}`);
  }
  const { values, positionals } = parsed;
  const debug = values.debug === true;
  if (values.help) return { kind: "help", text: commandHelp(name) };
  const args = positionals.slice(1);
  const usageLine = `Usage: lakehouse ${name} ${spec.usage}`.trimEnd();
  if (args.length < spec.args.min)
    throw new UsageError(
      `${name} needs ${spec.args.min === 1 ? "an argument" : `${spec.args.min} arguments`}. ${usageLine}`,
    );
  if (args.length > spec.args.max)
    throw new UsageError(
      `${name} takes ${spec.args.max === 0 ? "no arguments" : `at most ${spec.args.max}`}, got ${args.map((a) => JSON.stringify(a)).join(" ")}. ${usageLine}`,
    );
  if (values.native && values.docker) throw new UsageError("Choose one of --native and --docker.");
  return { kind: "run", command: name, options: values, args, debug };
}
