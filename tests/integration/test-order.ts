import { basename } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The order integration files run in (one at a time): the files that need a stack of their
 * own first, then each group sharing one (harness.ts, sharedStack) together, so each
 * group's stack starts once. Starting a stack takes minutes on two cores. Other files
 * keep vitest's own order, after these.
 */
const ORDER = [
  "native-stack", // its own stack: starts, stops and restarts it
  "docker-stack", // its own stack: backs up, resets and restores it
  "backup", // its own stack: restores over it
  "bad-input", // sharedStack("direct"): loads directly, Airflow's runs paused
  "ingest",
  "superset", // sharedStack("airflow"): loads through Airflow; superset first, as it
  "airflow", // counts every dashboard and every file to fix there is
  "load",
  "faults", // kills each service in turn: last
];

function rank(file: TestSpecification): number {
  const index = ORDER.indexOf(basename(file.moduleId).replace(/\.test\.ts$/, ""));
  return index < 0 ? ORDER.length : index;
}

export class StackOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
