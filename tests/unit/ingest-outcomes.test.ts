import { describe, expect, it } from "vitest";
import { consoleReporter } from "../../src/cli/reporter.ts";
import {
  type FileOutcome,
  outcomesOf,
  parseOutcome,
  summarise,
} from "../../src/pipeline/outcomes.ts";

const loaded: FileOutcome = {
  file: "data/raw/a.csv",
  status: "loaded",
  table: "a",
  rows_accepted: 3,
};
const traceback = [
  "Traceback (most recent call last):",
  '  File "ingest.py", line 200, in ingest_file',
  "RuntimeError: Trino answered 503",
  "",
].join("\n");

describe("a direct load's outcomes", () => {
  it("a loader that crashed before any outcome: the file failed, with the traceback's end", () => {
    const outcomes = outcomesOf(["data/raw/a.csv"], [], {
      code: 1,
      signal: null,
      stderr: traceback,
    });
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]?.status).toBe("failed");
    expect(outcomes[0]?.error).toMatch(/^data\/raw\/a\.csv: the loader exited with code 1/);
    expect(outcomes[0]?.error).toContain("RuntimeError: Trino answered 503");
    expect(summarise(outcomes)).toEqual({ text: "0 loaded, 0 unchanged, 1 failed", ok: false });
  });

  it("killed midway: the file it was on failed, the ones after it were never reached", () => {
    const files = ["data/raw/a.csv", "data/raw/b.csv", "data/raw/c.csv"];
    const outcomes = outcomesOf(files, [loaded], { code: null, signal: "SIGKILL", stderr: "" });
    expect(outcomes.map((o) => o.status)).toEqual(["loaded", "failed", "failed"]);
    expect(outcomes[1]?.error).toMatch(/^data\/raw\/b\.csv: the loader was killed by SIGKILL/);
    expect(outcomes[1]?.error).toContain("out of memory?");
    expect(outcomes[1]?.error).toContain("it wrote nothing on stderr");
    expect(outcomes[2]?.error).toMatch(/^data\/raw\/c\.csv: not loaded: .*see data\/raw\/b\.csv/);
    expect(summarise(outcomes)).toEqual({ text: "1 loaded, 0 unchanged, 2 failed", ok: false });
  });

  it("every file reported: the loader's outcomes as they are", () => {
    const rejected: FileOutcome = { file: "/x/b.csv", status: "failed", error: "b: bad" };
    const outcomes = outcomesOf(["data/raw/a.csv", "data/raw/b.csv"], [loaded, rejected], {
      code: 1,
      signal: null,
      stderr: "error: b: bad\n",
    });
    expect(outcomes).toEqual([loaded, rejected]);
    expect(summarise(outcomes).ok).toBe(false);
    expect(summarise([loaded])).toEqual({ text: "1 loaded, 0 unchanged, 0 failed", ok: true });
  });

  it("reads outcomes from stdout lines, and nothing else", () => {
    expect(parseOutcome(JSON.stringify(loaded))).toEqual(loaded);
    expect(parseOutcome("some library's chatter")).toBeUndefined();
    expect(parseOutcome("42")).toBeUndefined();
    expect(parseOutcome('{"rows": 1}')).toBeUndefined();
  });
});

describe("a step's summary line", () => {
  function captured(): { stream: NodeJS.WriteStream; text: () => string } {
    let text = "";
    const stream = {
      write(chunk: string) {
        text += chunk;
        return true;
      },
    } as unknown as NodeJS.WriteStream;
    return { stream, text: () => text };
  }

  it("is ✓ for a step that went well and ✗ for one that failed", () => {
    const out = captured();
    const reporter = consoleReporter(out.stream);
    reporter.step("Loading 1 file(s)")("1 loaded, 0 unchanged, 0 failed");
    reporter.step("Loading 1 file(s)")("0 loaded, 0 unchanged, 1 failed", false);
    const lines = out.text().split("\n");
    expect(lines[1]).toMatch(/^✓ Loading 1 file\(s\): 1 loaded, 0 unchanged, 0 failed/);
    expect(lines[3]).toMatch(/^✗ Loading 1 file\(s\): 0 loaded, 0 unchanged, 1 failed/);
  });
});
