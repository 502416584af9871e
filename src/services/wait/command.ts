import { execFile } from "node:child_process";
import { type CheckResult, notReady, type ReadinessCheck, ready } from "./check.ts";

export interface CommandWaitOptions {
  /** Ready only if stdout matches (e.g. PONG); exit code 0 is always required. */
  stdout?: RegExp;
  env?: Record<string, string>;
  /** How long one probe may take; 5 s by default. */
  timeoutMs?: number;
}

/** Runs a health command such as `pg_isready` or `redis-cli ping`, as the spec's table names. */
export function forCommand(
  command: string,
  args: string[],
  options: CommandWaitOptions = {},
): ReadinessCheck {
  return {
    description: [command, ...args].join(" "),
    probe(): Promise<CheckResult> {
      return new Promise((resolve) => {
        execFile(
          command,
          args,
          { timeout: options.timeoutMs ?? 5000, env: { ...process.env, ...options.env } },
          (error, stdout, stderr) => {
            if (error) {
              resolve(notReady((stderr || stdout || error.message).trim().split("\n")[0] ?? ""));
            } else if (options.stdout && !options.stdout.test(stdout)) {
              resolve(notReady(`unexpected output: ${stdout.trim().slice(0, 80)}`));
            } else {
              resolve(ready);
            }
          },
        );
      });
    },
  };
}
