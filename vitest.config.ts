import { defineConfig } from "vitest/config";
import { StackOrder } from "./tests/integration/test-order.ts";

// Projects named by cost: `unit` needs nothing running; `integration` installs and starts
// the real native stack; `integration-docker` builds and starts the compose stack.
export default defineConfig({
  test: {
    reporters: ["default", "./tests/summary-reporter.ts"],
    sequence: { sequencer: StackOrder },
    projects: [
      {
        test: {
          name: "unit",
          include: ["tests/unit/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          exclude: ["tests/integration/docker-stack.test.ts"],
          env: { LAKEHOUSE_TEST_RUNTIME: "native" },
          globalSetup: ["tests/integration/stacks-folder.ts"],
          // One stack on fixed ports: files run one after another, never in parallel.
          fileParallelism: false,
          testTimeout: 15 * 60_000,
          hookTimeout: 60 * 60_000,
        },
      },
      {
        // The same suites against the compose stack (tests/integration/harness.ts), plus
        // what only docker mode has. Run after the native suites (package.json): one stack
        // at a time on two cores.
        test: {
          name: "integration-docker",
          include: [
            "tests/integration/docker-stack.test.ts",
            "tests/integration/airflow.test.ts",
            "tests/integration/superset.test.ts",
          ],
          env: { LAKEHOUSE_TEST_RUNTIME: "docker" },
          globalSetup: ["tests/integration/stacks-folder.ts"],
          fileParallelism: false,
          testTimeout: 15 * 60_000,
          hookTimeout: 60 * 60_000,
        },
      },
    ],
  },
});
