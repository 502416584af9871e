import { describe, expect, it } from "vitest";
import {
  COMMAND_SPECS,
  closest,
  commandHelp,
  parseCommandLine,
} from "../../src/cli/command-line.ts";
import { UsageError } from "../../src/cli/user-error.ts";

const parse = (line: string) => parseCommandLine(line.split(" ").filter(Boolean));
const error = (line: string): string => {
  try {
    parse(line);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`"${line}" was accepted`);
};

describe("the command line", () => {
  it("runs a command with its options and arguments", () => {
    expect(parse("logs trino -n 20 -f")).toEqual({
      kind: "run",
      command: "logs",
      options: { lines: "20", follow: true },
      args: ["trino"],
      debug: false,
    });
    expect(parse("ingest a.csv b.csv --table orders --replace")).toMatchObject({
      command: "ingest",
      options: { table: "orders", replace: true },
      args: ["a.csv", "b.csv"],
    });
    expect(parse("--debug status --watch")).toMatchObject({
      options: { watch: true },
      debug: true,
    });
  });

  it("suggests the closest command for a mistyped one", () => {
    expect(error("stauts")).toBe(
      '"stauts" is not a lakehouse command. Did you mean "status"? lakehouse --help lists them.',
    );
    expect(error("dashboard")).toContain('Did you mean "dashboards"?');
    expect(error("igest")).toContain('Did you mean "ingest"?');
    expect(error("frobnicate")).not.toContain("Did you mean");
  });

  it("names an option a command does not take, with the closest one it does", () => {
    expect(error("up --natve")).toBe(
      "up has no option --natve. Did you mean --native? lakehouse up --help lists its options.",
    );
    expect(error("status --follow")).toContain("status has no option --follow.");
    expect(error("logs -x")).toContain("logs has no option -x.");
  });

  it("says what a missing value or a wrong number of arguments should be", () => {
    expect(error("logs -n")).toContain("-n needs a value: -n, --lines N");
    expect(error("sql")).toBe(
      'sql needs an argument. Usage: lakehouse sql "STATEMENT" [--format table|csv|json]',
    );
    expect(error("sql SELECT 1")).toContain("sql takes at most 1");
    expect(error("ingest")).toContain("Usage: lakehouse ingest FILE...");
    expect(error("drop")).toContain("Usage: lakehouse drop TABLE");
    expect(error("status extra")).toContain("status takes no arguments");
    expect(error("down --native --docker")).toBe("Choose one of --native and --docker.");
    expect(error("--frob")).toContain("--frob is not an option here");
  });

  it("has --version, --help and COMMAND --help for every command", () => {
    expect(parse("--version")).toEqual({ kind: "version" });
    expect(parse("-V")).toEqual({ kind: "version" });
    expect(parse("--help")).toMatchObject({ kind: "help" });
    expect(parse("")).toMatchObject({ kind: "help" });
    for (const name of Object.keys(COMMAND_SPECS)) {
      const help = parse(`${name} --help`);
      expect(help).toEqual({ kind: "help", text: commandHelp(name) });
      expect(commandHelp(name)).toContain(`Usage: lakehouse ${name}`);
      expect(commandHelp(name)).toContain("--debug");
      expect(parse(`help ${name}`)).toEqual(help);
    }
    expect(commandHelp("logs")).toContain("-n, --lines N");
  });

  it("finds the closest word, or none when nothing is close", () => {
    expect(closest("sttus", ["status", "sql"])).toBe("status");
    expect(closest("sq", ["status", "sql"])).toBe("sql");
    expect(closest("zzzz", ["status", "sql"])).toBeUndefined();
  });
});
