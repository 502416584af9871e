import { connect } from "node:net";
import { type CheckResult, notReady, type ReadinessCheck, ready } from "./check.ts";

/**
 * Authenticates and sends PING over the Redis protocol, like `valkey-cli ping`, without
 * needing the CLI on the host (docker mode) or the password on a command line.
 */
export function forRedisPing(host: string, port: number, password: () => string): ReadinessCheck {
  return {
    description: `Redis PING ${host}:${port}`,
    probe(): Promise<CheckResult> {
      return new Promise((resolve) => {
        const socket = connect({ host, port });
        let answer = "";
        const done = (result: CheckResult) => {
          socket.destroy();
          resolve(result);
        };
        socket.setTimeout(2000, () => done(notReady("no answer")));
        socket.once("error", (error) =>
          done(notReady((error as NodeJS.ErrnoException).code ?? error.message)),
        );
        socket.once("connect", () => {
          const pass = password();
          socket.write(
            `*2\r\n$4\r\nAUTH\r\n$${Buffer.byteLength(pass)}\r\n${pass}\r\n*1\r\n$4\r\nPING\r\n`,
          );
        });
        socket.on("data", (data) => {
          answer += data.toString();
          if (answer.includes("+PONG")) done(ready);
          else if (answer.startsWith("-")) done(notReady(answer.split("\r\n")[0] ?? answer));
        });
      });
    },
  };
}
