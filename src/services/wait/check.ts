/** The answer of one readiness probe: ready, or not yet and why (shown when a start times out). */
export type CheckResult = { ready: true } | { ready: false; reason: string };

/** A readiness check: probes once; the caller decides how often and how long to retry. */
export interface ReadinessCheck {
  /** What is being checked, for humans: "HTTP GET http://127.0.0.1:8083/v1/info". */
  readonly description: string;
  probe(): Promise<CheckResult>;
}

export const ready: CheckResult = { ready: true };
export const notReady = (reason: string): CheckResult => ({ ready: false, reason });
