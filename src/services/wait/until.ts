import type { CheckResult, ReadinessCheck } from "./check.ts";

export interface UntilOptions {
  timeoutMs: number;
  intervalMs?: number;
  /**
   * Called between probes; returns a reason to give up early (the process died),
   * or undefined to keep waiting.
   */
  abort?: () => string | undefined;
}

export class ReadinessTimeout extends Error {
  constructor(
    readonly check: ReadinessCheck,
    readonly lastResult: CheckResult,
  ) {
    super(
      `not ready: ${check.description}${lastResult.ready ? "" : ` (last answer: ${lastResult.reason})`}`,
    );
  }
}

export class ReadinessAborted extends Error {}

/** Probes until ready; throws ReadinessTimeout or ReadinessAborted otherwise. */
export async function waitUntilReady(check: ReadinessCheck, options: UntilOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 500;
  let last: CheckResult = { ready: false, reason: "not probed yet" };
  for (;;) {
    const aborted = options.abort?.();
    if (aborted) throw new ReadinessAborted(aborted);
    last = await check.probe();
    if (last.ready) return;
    if (Date.now() >= deadline) throw new ReadinessTimeout(check, last);
    await new Promise((r) => setTimeout(r, interval));
  }
}
