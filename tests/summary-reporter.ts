import { relative } from "node:path";
import type { Reporter, TestModule } from "vitest/node";

/**
 * Prints plain closing lines that read the same in any CI log, whatever the default
 * reporter's formatting: the seconds each test file took (hooks included, so a file's
 * stack start shows) and its slowest tests, for files of 10 s or more, then "vitest: N passed, N failed, N skipped".
 * The suite's wall time is what CI's limit is about; these lines say where it goes.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const count = { passed: 0, failed: 0, skipped: 0 };
    const lines: string[] = [];
    for (const module of modules) {
      const tests = [...module.children.allTests()];
      for (const test of tests) {
        const state = test.result().state;
        if (state === "passed") count.passed++;
        else if (state === "failed") count.failed++;
        else count.skipped++;
      }
      const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
      const slowest = tests
        .map((test) => ({ name: test.name, ms: test.diagnostic()?.duration ?? 0 }))
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 3)
        .filter((test) => test.ms >= 10_000)
        .map((test) => `${test.name} ${seconds(test.ms)}`);
      if (module.diagnostic().duration < 10_000) continue;
      const project = module.project.name;
      const file = relative(process.cwd(), module.moduleId);
      lines.push(
        `  ${project}/${file}: ${seconds(module.diagnostic().duration)}` +
          (slowest.length ? ` (slowest: ${slowest.join("; ")})` : ""),
      );
    }
    if (lines.length) process.stdout.write(`\nseconds per test file:\n${lines.join("\n")}\n`);
    process.stdout.write(
      `\nvitest: ${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped\n`,
    );
  }
}
