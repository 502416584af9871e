import { forAll } from "./all.ts";
import { forCommand } from "./command.ts";
import { forHttp } from "./http.ts";
import { forRedisPing } from "./redis-ping.ts";
import { forTcp } from "./tcp.ts";

export type { CheckResult, ReadinessCheck } from "./check.ts";
export { isListening } from "./tcp.ts";
export { waitUntilReady } from "./until.ts";

/** Readiness strategies, composable like testcontainers' `Wait`. */
export const Wait = { forHttp, forTcp, forCommand, forRedisPing, forAll };
