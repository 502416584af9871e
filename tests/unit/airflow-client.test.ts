import { mkdtempSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AirflowClient } from "../../src/airflow/client.ts";
import { Slots } from "../../src/clients/slots.ts";
import { loadSettings } from "../../src/config/settings.ts";

describe("Slots", () => {
  it("never runs more tasks at once than it has slots, and runs them all", async () => {
    const slots = new Slots(3);
    let running = 0;
    let most = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        slots.run(async () => {
          running++;
          most = Math.max(most, running);
          await new Promise((r) => setTimeout(r, 5));
          running--;
          return i;
        }),
      ),
    );
    expect(most).toBe(3);
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});

/**
 * The client's own handling of an overloaded API server, against a local HTTP server that
 * answers as Airflow's does when its database pool times out (HTTP 500).
 */
// The client pauses 1, 2, 4 s between tries: longer than the default 5 s timeout on a busy machine.
describe("AirflowClient under an overloaded API server", { timeout: 60_000 }, () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
    const server = createServer((req, res) => {
      if (req.url === "/auth/token") {
        res.end(JSON.stringify({ access_token: "t" }));
        return;
      }
      handler(req, res);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    close = () => server.close();
    const port = (server.address() as AddressInfo).port;
    return new AirflowClient(
      loadSettings({
        env: {
          LAKEHOUSE_HOME: mkdtempSync(join(tmpdir(), "lakehouse-af-")),
          AIRFLOW_PORT: String(port),
        },
      }),
    );
  }

  it("asks a read again after an HTTP 500, and keeps at most four requests in flight", async () => {
    let calls = 0;
    let inFlight = 0;
    let most = 0;
    const client = await serve((_req, res) => {
      calls++;
      inFlight++;
      most = Math.max(most, inFlight);
      setTimeout(() => {
        inFlight--;
        if (calls % 3 === 1) {
          res.statusCode = 500;
          res.end("QueuePool limit of size 5 overflow 10 reached");
        } else res.end(JSON.stringify({ ok: true }));
      }, 10);
    });
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => client.request<{ ok: boolean }>("GET", "/api/v2/x")),
    );
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(calls).toBeGreaterThan(12);
    expect(most).toBeLessThanOrEqual(4);
  });

  it("does not repeat a POST that does not name what it creates", async () => {
    let calls = 0;
    const client = await serve((_req, res) => {
      calls++;
      res.statusCode = 500;
      res.end("boom");
    });
    await expect(client.request("POST", "/api/v2/x", { a: 1 })).rejects.toThrow("HTTP 500");
    expect(calls).toBe(1);
  });

  it("finds the run a trigger made when its first answer was lost", async () => {
    let posts = 0;
    let runId = "";
    const client = await serve((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        if (req.method === "POST") {
          posts++;
          runId = (JSON.parse(body) as { dag_run_id: string }).dag_run_id;
          res.statusCode = posts === 1 ? 503 : 409;
          res.end("");
          return;
        }
        expect(req.url).toContain(encodeURIComponent(runId));
        res.end(JSON.stringify({ dag_run_id: runId, state: "queued" }));
      });
    });
    const run = await client.triggerDag("csv_to_iceberg", { files: [] });
    expect(posts).toBe(2);
    expect(run).toEqual({ dag_run_id: runId, state: "queued" });
  });
});
