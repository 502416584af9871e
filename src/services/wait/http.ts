import { type CheckResult, notReady, type ReadinessCheck, ready } from "./check.ts";

export interface HttpWaitOptions {
  /** Status codes that count as ready; 200 by default. */
  statuses?: number[];
  /** Extra condition on the body, e.g. Trino's `"starting": false`. */
  body?: (text: string) => boolean;
  timeoutMs?: number;
  headers?: Record<string, string>;
}

export function forHttp(url: string, options: HttpWaitOptions = {}): ReadinessCheck {
  const statuses = options.statuses ?? [200];
  return {
    description: `HTTP GET ${url}`,
    async probe(): Promise<CheckResult> {
      try {
        const response = await fetch(url, {
          signal: AbortSignal.timeout(options.timeoutMs ?? 3000),
          redirect: "manual",
          headers: options.headers,
        });
        const text = await response.text();
        if (!statuses.includes(response.status)) return notReady(`HTTP ${response.status}`);
        if (options.body && !options.body(text)) return notReady("not ready yet (response body)");
        return ready;
      } catch (error) {
        return notReady(describeFetchError(error));
      }
    },
  };
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error as Error).message;
}
