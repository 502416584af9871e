import { connect } from "node:net";
import { type CheckResult, notReady, type ReadinessCheck, ready } from "./check.ts";

/** True when something accepts TCP connections on host:port. */
export function isListening(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

export function forTcp(host: string, port: number): ReadinessCheck {
  return {
    description: `TCP connect ${host}:${port}`,
    async probe(): Promise<CheckResult> {
      return (await isListening(host, port)) ? ready : notReady("connection refused");
    },
  };
}
