import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { stopOtherStacks } from "./harness.ts";

declare module "vitest" {
  export interface ProvidedContext {
    stacksFolder: string;
  }
}

/**
 * vitest's globalSetup for the integration projects: one folder per run for its test
 * stacks (harness.ts), and, when the run ends, whatever is still running there stopped
 * (a shared stack outlives the file that started it) and the folder removed.
 */
export default function setup(project: TestProject): () => Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), "lakehouse-it-"));
  chmodSync(folder, 0o755); // PostgreSQL's own account traverses it to its data
  project.provide("stacksFolder", folder);
  return async () => {
    await stopOtherStacks(undefined, folder);
    rmSync(folder, { recursive: true, force: true });
  };
}
