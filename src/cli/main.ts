import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../config/paths.ts";
import { SettingsError } from "../config/settings.ts";
import { PrerequisiteError } from "../install/prerequisites.ts";
import { ServiceStartError } from "../runtime/runtime.ts";
import { type CommandLine, parseCommandLine, usage } from "./command-line.ts";
import { commands } from "./commands.ts";
import { bold, dim, red } from "./reporter.ts";
import { UsageError, UserError } from "./user-error.ts";

function version(): string {
  const pkg = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as {
    version: string;
  };
  return `lakehouse ${pkg.version}`;
}

async function main(line: CommandLine): Promise<number> {
  if (line.kind === "version") {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (line.kind === "help") {
    process.stdout.write(line.text === usage() ? usage(bold) : line.text);
    return 0;
  }
  const command = commands[line.command];
  if (!command) throw new UsageError(`"${line.command}" is not a lakehouse command.`);
  return command({ ...line.options, args: line.args });
}

// `lakehouse status | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

const argv = process.argv.slice(2);
const debug = argv.includes("--debug");
try {
  process.exitCode = await main(parseCommandLine(argv));
} catch (error) {
  process.exitCode = error instanceof UsageError ? 2 : 1;
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
    // Not a mistake of the user's: one line, and where to look; the trace on request.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${red("error:")} ${message}\n`);
    if (!debug)
      process.stderr.write(
        dim(
          "This was unexpected. ./lakehouse status and ./lakehouse logs SERVICE show the services; run again with --debug for where it happened.\n",
        ),
      );
  }
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${dim(error.stack)}\n`);
}
