import { dim, type Reporter } from "../cli/reporter.ts";
import type { Settings } from "../config/settings.ts";
import { sourceName } from "../pipeline/drop-zone.ts";
import { type FileOutcome, summarise } from "../pipeline/outcomes.ts";
import { intoRawZone } from "../pipeline/raw-zone-placement.ts";
import { AirflowClient, type TaskInstance } from "./client.ts";

export const INGEST_DAG = "csv_to_iceberg";
/** The DAG's tasks (airflow/dags/csv_to_iceberg.py): the one that groups the run's files by
 * table, and the load of a group, mapped over them. */
const FIND_TASK = "find_files";
const LOAD_TASK = "load";
/** What a load task keeps of each file, also when it fails. */
const OUTCOMES_KEY = "outcomes";
const FINISHED = new Set(["success", "failed"]);
/** A task that will not run (again): skipped when a refresh already covers its loads. */
const TASK_DONE = new Set([...FINISHED, "skipped", "upstream_failed", "removed"]);
/** Polls every second while tasks move, slowing to every 5 s while nothing does: twenty
 * commands waiting behind a backlog would otherwise ask the API server 40 times a second. */
const POLL_MS = 1000;
const POLL_MAX_MS = 5000;
/**
 * A run still queued after this long is checked on: with the scheduler alive it waits its
 * turn behind other runs (the DAG's max_active_runs), and the command says so and waits on;
 * with the scheduler down it never starts, and the command says where to look.
 */
const QUEUED_CHECK_MS = 180_000;

/**
 * Loads files through Airflow: copies them into data/raw/, triggers `csv_to_iceberg` for
 * exactly these files, shows each file's task as it moves, and returns one outcome per
 * file, with the failing task's log tail for a file that failed.
 */
export async function ingestViaAirflow(
  s: Settings,
  files: string[],
  reporter: Reporter,
): Promise<FileOutcome[]> {
  const sources = files.map((f) => sourceName(s, intoRawZone(s, f)));
  const airflow = new AirflowClient(s);
  await airflow.waitForDag(INGEST_DAG);
  const run = await airflow.triggerDag(INGEST_DAG, { files: sources });
  const done = reporter.step(
    `Loading ${sources.length} file(s) through Airflow (${run.dag_run_id})`,
  );
  const started = Date.now();
  let nextQueuedCheck = started + QUEUED_CHECK_MS;
  const seen = new Map<string, string>();
  let state = run.state;
  let tasks: TaskInstance[] = [];
  // The run's files by table, one load task each, known once find_files has finished.
  let groups: string[][] | undefined;
  const loads = () => tasks.filter((t) => t.task_id === LOAD_TASK && t.map_index >= 0);
  // Done when every group's load has finished: the dashboards' refresh may still run after.
  const loadsDone = () =>
    groups !== undefined &&
    loads().filter((t) => FINISHED.has(t.state ?? "")).length === groups.length;
  let pause = POLL_MS;
  while (!FINISHED.has(state) && !loadsDone()) {
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 1.5, POLL_MAX_MS);
    [{ state }, tasks] = await Promise.all([
      airflow.dagRun(INGEST_DAG, run.dag_run_id),
      airflow.taskInstances(INGEST_DAG, run.dag_run_id),
    ]);
    const find = tasks.find((t) => t.task_id === FIND_TASK);
    // A read that fails is tried again on the next poll.
    if (groups === undefined && find?.state === "success")
      groups = await airflow
        .result<string[][]>(INGEST_DAG, run.dag_run_id, find)
        .catch(() => undefined);
    for (const task of tasks) {
      // Before expansion the load task is one placeholder (map index -1): nothing to show.
      if (task.task_id === LOAD_TASK && task.map_index < 0) continue;
      const label =
        task.task_id === LOAD_TASK
          ? (groups?.[task.map_index]?.join(", ") ?? String(task.map_index))
          : task.task_id;
      const now = task.state ?? "waiting";
      if (seen.get(label) === now) continue;
      seen.set(label, now);
      pause = POLL_MS;
      const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
      reporter.info(dim(`  ${seconds}s  ${label}: ${now}`));
    }
    if (state === "queued" && Date.now() > nextQueuedCheck) {
      if (!(await airflow.schedulerHealthy())) {
        throw new Error(
          `Airflow has not started run ${run.dag_run_id} after ${((Date.now() - started) / 1000).toFixed(0)}s and its scheduler is not healthy. See ./lakehouse status and ./lakehouse logs airflow-scheduler`,
        );
      }
      const running = await airflow.runningRuns(INGEST_DAG);
      reporter.info(
        dim(`  queued behind ${running} running run(s) of ${INGEST_DAG}; waiting its turn`),
      );
      nextQueuedCheck = Date.now() + QUEUED_CHECK_MS;
    }
  }
  // Each group's outcomes, one read per task, a few at a time (the client's limit); a read
  // that fails costs that group's files their details, never the whole command its summary.
  const byFile = new Map<string, FileOutcome>();
  await Promise.all(
    loads().map(async (task) => {
      const files = groups?.[task.map_index] ?? [];
      const kept = await airflow
        .result<FileOutcome[]>(INGEST_DAG, run.dag_run_id, task, OUTCOMES_KEY)
        .catch(() => undefined);
      for (const outcome of kept ?? []) byFile.set(outcome.file, outcome);
      const missing = files.filter((file) => !byFile.has(file));
      if (task.state === "success") {
        const why = "its counts could not be read from Airflow";
        for (const file of missing) byFile.set(file, { file, status: "loaded", error: why });
        return;
      }
      const failed = (kept ?? []).filter((outcome) => outcome.status === "failed");
      if (missing.length === 0 && failed.length === 0) return;
      const log = await airflow
        .log(INGEST_DAG, run.dag_run_id, task)
        .catch((error: Error) => [`(its log could not be read from Airflow: ${error.message})`]);
      // A file the task reported failed: its reason, then the log's tail, as for one whose
      // task ended without a word on it.
      for (const outcome of failed)
        byFile.set(outcome.file, { ...outcome, error: `${outcome.error}\n${logTail(task, log)}` });
      for (const file of missing)
        byFile.set(file, { file, status: "failed", error: failureMessage(file, task, log) });
    }),
  );
  const outcomes = sources.map(
    (source): FileOutcome =>
      byFile.get(source) ?? {
        file: source,
        status: "failed",
        error: failureMessage(source, undefined, []),
      },
  );
  const { text, ok } = summarise(outcomes);
  done(text, ok);
  // The refresh line only while a refresh is still to run (it is skipped when another
  // refresh since these loads covers them).
  const refreshing = tasks.some((t) => t.task_id !== LOAD_TASK && !TASK_DONE.has(t.state ?? ""));
  if (!FINISHED.has(state) && refreshing) {
    reporter.info(dim(`  dashboards refresh in the background (run ${run.dag_run_id})`));
  } else if (state === "failed" && outcomes.every((o) => o.status !== "failed")) {
    // Every file loaded but a later step (the dashboards' refresh) failed.
    const failed = tasks.filter((t) => t.state === "failed").map((t) => t.task_id);
    reporter.warn(`run ${run.dag_run_id} failed in ${failed.join(", ")}; see the Airflow UI`);
  }
  return outcomes;
}

/** The error the task raised (the pipeline's "file, line, column: what. Fix: how"), then the log's tail. */
function failureMessage(source: string, task: TaskInstance | undefined, log: string[]): string {
  if (!task) return `${source}: no load task ran for it; see the Airflow UI`;
  const raised = log.find((line) => line.startsWith("AirflowFailException: "));
  const reason =
    raised?.slice("AirflowFailException: ".length) ??
    [...log].reverse().find((line) => /^\w*(Error|Exception): /.test(line));
  return `${reason ?? `${source}: the load failed (${task.state})`}\n${logTail(task, log)}`;
}

/** The last lines of the task's log, Airflow's group markers left out. */
function logTail(task: TaskInstance, log: string[]): string {
  const tail = log
    .filter((line) => !/^(\w+: )?::(end)?group::/.test(line))
    .slice(-12)
    .map((line) => `    ${line}`)
    .join("\n");
  return `  Log tail (task ${task.task_id}[${task.map_index}], try ${task.try_number}):\n${tail}`;
}
