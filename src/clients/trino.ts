/** A minimal client for Trino's HTTP protocol: POST the statement, follow nextUri. */
import { parse as parseLossless } from "lossless-json";

export interface TrinoColumn {
  name: string;
  type: string;
}

export interface TrinoResult<Row extends unknown[] = unknown[]> {
  columns: TrinoColumn[];
  rows: Row[];
  /** e.g. "CREATE TABLE", "INSERT". */
  updateType?: string;
}

interface TrinoResponse {
  id: string;
  nextUri?: string;
  columns?: TrinoColumn[];
  data?: unknown[][];
  updateType?: string;
  stats?: { state: string };
  error?: { message: string; errorName: string; errorType: string };
}

export class TrinoError extends Error {
  constructor(
    message: string,
    readonly errorName: string,
    readonly sql: string,
  ) {
    super(message);
  }
}

/**
 * Errors of a server not ready to run queries yet, raised before a statement runs, so it
 * is sent again. A restarted Trino reports itself started as it announces itself to its
 * own discovery service: until it has seen that announcement it knows no node to run on
 * (NO_NODES_AVAILABLE), a few seconds at most, longer on a busy machine.
 */
const NOT_READY = new Set(["NO_NODES_AVAILABLE", "SERVER_STARTING_UP"]);
/** How long a statement is sent again while the server is not ready. */
const NOT_READY_WAIT_MS = 30_000;

export class TrinoClient {
  constructor(
    private readonly baseUrl: string,
    private readonly options: { user?: string; catalog?: string; schema?: string } = {},
  ) {}

  /**
   * Runs one statement and reads every page of its result. With `exact`, every number in
   * the rows is a LosslessNumber (lossless-json) holding the digits Trino sent: a JavaScript
   * number would change a bigint above 2^53 (a snapshot id, a 64-bit key).
   */
  async query<Row extends unknown[] = unknown[]>(
    sql: string,
    { exact = false }: { exact?: boolean } = {},
  ): Promise<TrinoResult<Row>> {
    const deadline = Date.now() + NOT_READY_WAIT_MS;
    for (let pause = 250; ; pause = Math.min(pause * 2, 4000)) {
      try {
        return await this.once<Row>(sql, exact);
      } catch (error) {
        if (!(error instanceof TrinoError && NOT_READY.has(error.errorName))) throw error;
        if (Date.now() + pause > deadline) throw error;
        await new Promise((r) => setTimeout(r, pause));
      }
    }
  }

  private async once<Row extends unknown[]>(
    sql: string,
    exact: boolean,
  ): Promise<TrinoResult<Row>> {
    const headers: Record<string, string> = { "X-Trino-User": this.options.user ?? "lakehouse" };
    if (this.options.catalog) headers["X-Trino-Catalog"] = this.options.catalog;
    if (this.options.schema) headers["X-Trino-Schema"] = this.options.schema;
    let page = await this.fetchJson(
      `${this.baseUrl}/v1/statement`,
      { method: "POST", body: sql, headers },
      sql,
      exact,
    );
    const rows: Row[] = [];
    let columns: TrinoColumn[] = [];
    for (;;) {
      if (page.error) throw new TrinoError(page.error.message, page.error.errorName, sql);
      if (page.columns) columns = page.columns;
      if (page.data) rows.push(...(page.data as Row[]));
      if (!page.nextUri) return { columns, rows, updateType: page.updateType };
      page = await this.fetchJson(page.nextUri, { headers }, sql, exact);
    }
  }

  private async fetchJson(
    url: string,
    init: RequestInit,
    sql: string,
    exact: boolean,
  ): Promise<TrinoResponse> {
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, init);
      } catch (error) {
        // A kept-alive connection Trino closed while it sat idle (a client that waited a
        // minute between queries) fails at once: once, on a fresh connection, again.
        if (attempt === 0 && isClosedConnection(error)) continue;
        throw error;
      }
      // 502-504 mean "try the same URI again" in Trino's protocol.
      if ([502, 503, 504].includes(response.status) && attempt < 10) {
        await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
        continue;
      }
      if (!response.ok) {
        throw new TrinoError(
          `Trino answered HTTP ${response.status}: ${await response.text()}`,
          "HTTP_ERROR",
          sql,
        );
      }
      if (!exact) return (await response.json()) as TrinoResponse;
      return parseLossless(await response.text()) as TrinoResponse;
    }
  }
}

/** Quotes a string literal for Trino: wraps in single quotes, doubling any inside. */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Quotes an SQL identifier for Trino: wraps in double quotes, doubling any inside. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function isClosedConnection(error: unknown): boolean {
  const cause =
    error instanceof TypeError ? (error.cause as { code?: string } | undefined) : undefined;
  // UND_ERR_SOCKET: Trino closed the kept-alive connection; EPIPE: it was gone before the
  // request was written (Trino restarted meanwhile). Neither reached Trino: safe to resend.
  return cause?.code === "UND_ERR_SOCKET" || cause?.code === "EPIPE";
}
