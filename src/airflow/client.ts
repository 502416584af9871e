import { randomBytes } from "node:crypto";
import { Slots } from "../clients/slots.ts";
import type { Settings } from "../config/settings.ts";
import { httpUrl } from "../services/addresses.ts";

/** A task instance as the REST API reports it. */
export interface TaskInstance {
  task_id: string;
  map_index: number;
  rendered_map_index: string | null;
  state: string | null;
  try_number: number;
}

export interface DagRun {
  dag_run_id: string;
  state: string;
}

export class AirflowApiError extends Error {}

/** An answer the server could not give just now: asked again after a pause. */
class TransientApiError extends Error {}

/** Requests one client has in flight at most: a few, so the API server's pool keeps up. */
const MAX_IN_FLIGHT = 4;
/** Tries of a repeatable request before its error is the command's (1+2+4+8 s of pauses). */
const RETRIES = 5;

/**
 * Airflow's REST API (v2), logged in as the generated admin. The token is fetched once
 * and fetched again when the API says it expired.
 */
export class AirflowClient {
  private token: string | undefined;
  private readonly slots = new Slots(MAX_IN_FLIGHT);
  readonly baseUrl: string;

  constructor(private readonly settings: Settings) {
    this.baseUrl = httpUrl(settings, "airflow-apiserver");
  }

  private async login(): Promise<string> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}/auth/token`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          username: this.settings.airflow.adminUser,
          password: this.settings.airflow.adminPassword.reveal(),
        }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new TransientApiError(
        `Airflow's login: no answer (${(error as Error).message}); is it running? See ./lakehouse status`,
      );
    }
    if (response.status >= 500)
      throw new TransientApiError(`Airflow's login: HTTP ${response.status}`);
    if (!response.ok) {
      throw new AirflowApiError(
        `Airflow refused the login (HTTP ${response.status}); is AIRFLOW_ADMIN_PASSWORD in .env the one it started with? Restart it: ./lakehouse down && ./lakehouse up`,
      );
    }
    return ((await response.json()) as { access_token: string }).access_token;
  }

  /**
   * One API call. At most MAX_IN_FLIGHT at a time per client, so that a command with many
   * files never exhausts the API server's database pool; an answer the server could not
   * give (5xx, 429, no connection) is asked again after a pause, for methods that may be
   * repeated (GET, PATCH, and a trigger that names its run).
   */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const repeatable = method !== "POST" || (body as { dag_run_id?: string })?.dag_run_id;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.slots.run(() => this.once<T>(method, path, body));
      } catch (error) {
        const transient = error instanceof TransientApiError;
        if (!transient || !repeatable || attempt >= RETRIES) {
          throw transient ? new AirflowApiError(error.message) : error;
        }
        await new Promise((r) => setTimeout(r, 1000 * 2 ** (attempt - 1)));
      }
    }
  }

  private async once<T>(method: string, path: string, body?: unknown): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      this.token ??= await this.login();
      let response: Response;
      try {
        response = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers: {
            Authorization: `Bearer ${this.token}`,
            ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(60_000),
        });
      } catch (error) {
        throw new TransientApiError(
          `Airflow API ${method} ${path}: no answer (${(error as Error).message}); is it running? See ./lakehouse status`,
        );
      }
      if (response.status === 401 && attempt === 0) {
        this.token = undefined;
        continue;
      }
      const text = await response.text();
      if (!response.ok) {
        const message = `Airflow API ${method} ${path}: HTTP ${response.status}: ${text.slice(0, 500)}`;
        throw response.status >= 500 || response.status === 429
          ? new TransientApiError(message)
          : new AirflowApiError(message);
      }
      return (text ? JSON.parse(text) : undefined) as T;
    }
  }

  /** Waits until the DAG processor has parsed `dagId` (it is not there right after a start). */
  async waitForDag(dagId: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.request("GET", `/api/v2/dags/${dagId}`);
        return;
      } catch (error) {
        if (!String(error).includes("HTTP 404") || Date.now() > deadline) throw error;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /**
   * Starts a run of the DAG. The run is named here, so a trigger whose answer was lost is
   * asked again safely: the second ask finds the run the first one made.
   */
  async triggerDag(dagId: string, conf: Record<string, unknown>): Promise<DagRun> {
    const runId = `manual__lakehouse_${new Date().toISOString()}_${randomBytes(3).toString("hex")}`;
    try {
      return await this.request("POST", `/api/v2/dags/${dagId}/dagRuns`, {
        dag_run_id: runId,
        logical_date: null,
        conf,
      });
    } catch (error) {
      if (!String(error).includes("HTTP 409")) throw error;
      return this.dagRun(dagId, runId);
    }
  }

  /** Whether Airflow's scheduler is alive: its heartbeat is recent (the API's health report). */
  async schedulerHealthy(): Promise<boolean> {
    const health = await this.request<Record<string, { status?: string | null }>>(
      "GET",
      "/api/v2/monitor/health",
    );
    return health.scheduler?.status === "healthy";
  }

  /** How many runs of the DAG are running now. */
  async runningRuns(dagId: string): Promise<number> {
    const page = await this.request<{ total_entries: number }>(
      "GET",
      `/api/v2/dags/${dagId}/dagRuns?state=running&limit=1`,
    );
    return page.total_entries;
  }

  dagRun(dagId: string, runId: string): Promise<DagRun> {
    return this.request("GET", `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}`);
  }

  async taskInstances(dagId: string, runId: string): Promise<TaskInstance[]> {
    const page = await this.request<{ task_instances: TaskInstance[] }>(
      "GET",
      `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances?limit=1000`,
    );
    return page.task_instances;
  }

  /** What a task returned (its XCom `return_value`), or pushed under `key`. */
  async result<T>(
    dagId: string,
    runId: string,
    task: TaskInstance,
    key = "return_value",
  ): Promise<T> {
    const entry = await this.request<{ value: T }>(
      "GET",
      `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${task.task_id}` +
        `/xcomEntries/${key}?map_index=${task.map_index}&deserialize=true&stringify=false`,
    );
    return entry.value;
  }

  /** The task's log as plain lines (the API returns structured events). */
  async log(dagId: string, runId: string, task: TaskInstance): Promise<string[]> {
    const tryNumber = Math.max(task.try_number, 1);
    const page = await this.request<{ content: unknown }>(
      "GET",
      `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${task.task_id}` +
        `/logs/${tryNumber}?map_index=${task.map_index}&full_content=true`,
    );
    const content = Array.isArray(page.content) ? page.content : [page.content];
    return content.flatMap((event) => {
      if (typeof event === "string") return event.split("\n");
      const e = event as { event?: string; level?: string; error_detail?: unknown };
      const lines = [e.level ? `${e.level}: ${e.event ?? ""}` : String(e.event ?? "")];
      // An exception comes as a chain of {exc_type, exc_value, frames}: keep type and message.
      const chain = Array.isArray(e.error_detail) ? e.error_detail : [];
      for (const link of chain as { exc_type?: string; exc_value?: string }[])
        lines.push(`${link.exc_type ?? "Error"}: ${link.exc_value ?? ""}`);
      return lines;
    });
  }
}
