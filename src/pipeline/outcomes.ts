/**
 * What a load of files came to, one outcome per file, and the one-line summary of them:
 * pure, so that a loader that crashed is reported as failed files, never as "0 failed".
 */

/** One file's outcome, as the loader prints it (one JSON object a line) or the CLI makes it. */
export interface FileOutcome {
  file: string;
  status: "loaded" | "unchanged" | "failed";
  table?: string;
  data_rows?: number;
  rows_accepted?: number;
  rows_rejected?: number;
  /** A keyed load's changes (a contract with primary_key): absent for other loads. */
  rows_inserted?: number | null;
  rows_updated?: number | null;
  rows_deleted?: number | null;
  duplicate_keys?: number | null;
  peak_rss_mib?: number;
  error?: string;
}

/** How the loader's process ended, and what it wrote on stderr besides its progress lines. */
export interface LoaderExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** How many of the loader's last stderr lines a failure shows. */
const STDERR_TAIL = 20;

/** An outcome the loader printed on a stdout line; undefined for any other line. */
export function parseOutcome(line: string): FileOutcome | undefined {
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value === "object" && value !== null && "status" in value && "file" in value)
      return value as FileOutcome;
  } catch {
    // Not JSON: something else printed on stdout, kept for the error message.
  }
  return undefined;
}

function howItEnded(exit: LoaderExit): string {
  if (exit.signal) {
    const oom = exit.signal === "SIGKILL" ? ", out of memory?" : "";
    return `was killed by ${exit.signal}${oom}`;
  }
  return exit.code === 0 ? "exited" : `exited with code ${exit.code}`;
}

/**
 * One outcome per file, in the order given: the loader reports on the files in that order,
 * one line each. A file it reported nothing on failed: the one it was loading when it
 * stopped, with the last lines it wrote on stderr (its traceback), and any after that,
 * which it never reached.
 */
export function outcomesOf(
  files: string[],
  reported: FileOutcome[],
  exit: LoaderExit,
): FileOutcome[] {
  const tail = exit.stderr.trim().split("\n").slice(-STDERR_TAIL);
  const lastWords = tail.some((line) => line.trim())
    ? `; its last output:\n${tail.map((line) => `    ${line}`).join("\n")}`
    : "; it wrote nothing on stderr";
  const stopped = files[reported.length];
  return files.map((file, i): FileOutcome => {
    const outcome = reported[i];
    if (outcome) return outcome;
    const error =
      file === stopped
        ? `${file}: the loader ${howItEnded(exit)} while loading it, without an outcome${lastWords}`
        : `${file}: not loaded: the loader ${howItEnded(exit)} before it got to this file (see ${stopped})`;
    return { file, status: "failed", error };
  });
}

/** "N loaded, N unchanged, N failed", and whether nothing failed. */
export function summarise(outcomes: FileOutcome[]): { text: string; ok: boolean } {
  const count = (status: FileOutcome["status"]) =>
    outcomes.filter((o) => o.status === status).length;
  const failed = count("failed");
  return {
    text: `${count("loaded")} loaded, ${count("unchanged")} unchanged, ${failed} failed`,
    ok: failed === 0,
  };
}
