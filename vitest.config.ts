import { defineConfig } from "vitest/config";

// Two projects named by cost: `unit` needs nothing running; `integration` installs and
// starts the real native stack (PostgreSQL, Valkey, SeaweedFS, Iceberg REST, Trino).
export default defineConfig({
  test: {
    reporters: ["default", "./tests/summary-reporter.ts"],
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
          // One stack on fixed ports: files run one after another, never in parallel.
          fileParallelism: false,
          testTimeout: 15 * 60_000,
          hookTimeout: 60 * 60_000,
        },
      },
    ],
  },
});
