import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/config/paths.ts";

/**
 * The `lakehouse` script runs the CLI compiled to dist/cli/ (scripts/build-cli.mjs): the
 * compiled chunks must find the checkout (versions.env, package.json, services/) as the
 * TypeScript does, and its lazily loaded commands must be there.
 */
describe("the compiled CLI", () => {
  it("builds, finds its checkout and runs its commands", () => {
    const lakehouse = join(projectRoot, "lakehouse");
    const run = (...args: string[]) =>
      execFileSync(lakehouse, args, { cwd: "/", encoding: "utf8" }).trim();
    // The version is read from the checkout's package.json, found from the compiled chunk.
    const { version } = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8"));
    expect(run("--version")).toBe(`lakehouse ${version}`);
    // The help lists every command; `sql --help` is a lazily compiled command's own.
    expect(run("help")).toMatch(/\bup\b[\s\S]*\bingest\b[\s\S]*\bdrop\b/);
    expect(run("sql", "--help")).toContain("--format");
  });
});
