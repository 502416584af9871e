import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Wait, waitUntilReady } from "../../src/services/wait/index.ts";
import { ReadinessAborted, ReadinessTimeout } from "../../src/services/wait/until.ts";

let base = "";
let hits = 0;
const server = createServer((req, res) => {
  hits++;
  if (req.url === "/slow-start") {
    res.writeHead(200).end(JSON.stringify({ starting: hits < 3 }));
  } else if (req.url === "/ok") {
    res.writeHead(200).end("ok");
  } else {
    res.writeHead(503).end();
  }
});

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

describe("readiness checks", () => {
  it("HTTP: ready on the expected status, not on others", async () => {
    expect(await Wait.forHttp(`${base}/ok`).probe()).toEqual({ ready: true });
    expect(await Wait.forHttp(`${base}/down`).probe()).toEqual({
      ready: false,
      reason: "HTTP 503",
    });
  });

  it("HTTP: waits for a body condition", async () => {
    hits = 0;
    const check = Wait.forHttp(`${base}/slow-start`, {
      body: (t) => JSON.parse(t).starting === false,
    });
    await waitUntilReady(check, { timeoutMs: 5000, intervalMs: 10 });
    expect(hits).toBe(3);
  });

  it("TCP: refused on a closed port", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    expect((await Wait.forTcp("127.0.0.1", port).probe()).ready).toBe(true);
    await new Promise((r) => closed.close(r));
    expect((await Wait.forTcp("127.0.0.1", port).probe()).ready).toBe(false);
  });

  it("command: exit code and output both count", async () => {
    expect((await Wait.forCommand("true", []).probe()).ready).toBe(true);
    expect((await Wait.forCommand("false", []).probe()).ready).toBe(false);
    expect((await Wait.forCommand("echo", ["PONG"], { stdout: /PONG/ }).probe()).ready).toBe(true);
    expect((await Wait.forCommand("echo", ["nope"], { stdout: /PONG/ }).probe()).ready).toBe(false);
  });

  it("all: reports the first failing check", async () => {
    const result = await Wait.forAll([
      Wait.forHttp(`${base}/ok`),
      Wait.forHttp(`${base}/down`),
    ]).probe();
    expect(result).toEqual({ ready: false, reason: `HTTP GET ${base}/down: HTTP 503` });
  });

  it("gives up with the last answer after the timeout", async () => {
    await expect(
      waitUntilReady(Wait.forHttp(`${base}/down`), { timeoutMs: 50, intervalMs: 10 }),
    ).rejects.toThrow(ReadinessTimeout);
  });

  it("gives up early when the process died", async () => {
    const wait = waitUntilReady(Wait.forHttp(`${base}/down`), {
      timeoutMs: 60_000,
      abort: () => "exited with code 1",
    });
    await expect(wait).rejects.toThrow(ReadinessAborted);
  });
});
