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

/**
 * Airflow's REST API (v2), logged in as the generated admin. The token is fetched once
 * and fetched again when the API says it expired.
 */
export class AirflowClient {
  private token: string | undefined;
  readonly baseUrl: string;

  constructor(private readonly settings: Settings) {
    this.baseUrl = httpUrl(settings, "airflow-apiserver");
  }

  private async login(): Promise<string> {
    const response = await fetch(`${this.baseUrl}/auth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        username: this.settings.airflow.adminUser,
        password: this.settings.airflow.adminPassword.reveal(),
      }),
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) {
      throw new AirflowApiError(
        `Airflow refused the login (HTTP ${response.status}); is AIRFLOW_ADMIN_PASSWORD in .env the one it started with? Restart it: ./lakehouse down && ./lakehouse up`,
      );
    }
    return ((await response.json()) as { access_token: string }).access_token;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      this.token ??= await this.login();
      const response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
      if (response.status === 401 && attempt === 0) {
        this.token = undefined;
        continue;
      }
      const text = await response.text();
      if (!response.ok) {
        throw new AirflowApiError(
          `Airflow API ${method} ${path}: HTTP ${response.status}: ${text.slice(0, 500)}`,
        );
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

  triggerDag(dagId: string, conf: Record<string, unknown>): Promise<DagRun> {
    return this.request("POST", `/api/v2/dags/${dagId}/dagRuns`, { logical_date: null, conf });
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

  /** What a task returned (its XCom `return_value`). */
  async result<T>(dagId: string, runId: string, task: TaskInstance): Promise<T> {
    const entry = await this.request<{ value: T }>(
      "GET",
      `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${task.task_id}` +
        `/xcomEntries/return_value?map_index=${task.map_index}&deserialize=true&stringify=false`,
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
