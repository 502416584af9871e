import { type CheckResult, type ReadinessCheck, ready } from "./check.ts";

/** Ready when every check is; reports the first that is not. */
export function forAll(checks: ReadinessCheck[]): ReadinessCheck {
  return {
    description: checks.map((c) => c.description).join(" and "),
    async probe(): Promise<CheckResult> {
      const results = await Promise.all(checks.map((c) => c.probe()));
      const failed = results.findIndex((r) => !r.ready);
      if (failed === -1) return ready;
      const result = results[failed] as { ready: false; reason: string };
      return { ready: false, reason: `${checks[failed]?.description}: ${result.reason}` };
    },
  };
}
