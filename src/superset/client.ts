import type { Settings } from "../config/settings.ts";
import { httpUrl } from "../services/addresses.ts";

export class SupersetApiError extends Error {}

/**
 * Superset's REST API as the generated admin: a JWT for authorisation, plus the CSRF token
 * and session cookie that Superset requires on every write.
 */
export class SupersetClient {
  readonly baseUrl: string;
  private auth: { token: string; csrf: string; cookie: string } | undefined;

  constructor(private readonly settings: Settings) {
    this.baseUrl = httpUrl(settings, "superset");
  }

  private async login(): Promise<{ token: string; csrf: string; cookie: string }> {
    const login = await fetch(`${this.baseUrl}/api/v1/security/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        username: this.settings.superset.adminUser,
        password: this.settings.superset.adminPassword.reveal(),
        provider: "db",
        refresh: false,
      }),
      signal: AbortSignal.timeout(60_000),
    });
    if (!login.ok) {
      throw new SupersetApiError(
        `Superset refused the login (HTTP ${login.status}); is SUPERSET_ADMIN_PASSWORD in .env the one it started with? Restart it: ./lakehouse down && ./lakehouse up`,
      );
    }
    const token = ((await login.json()) as { access_token: string }).access_token;
    const csrf = await fetch(`${this.baseUrl}/api/v1/security/csrf_token/`, {
      headers: { Authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(60_000),
    });
    const cookie = (csrf.headers.getSetCookie?.() ?? []).map((c) => c.split(";")[0]).join("; ");
    return { token, cookie, csrf: ((await csrf.json()) as { result: string }).result };
  }

  private async send(method: string, path: string, body?: string | FormData): Promise<Response> {
    this.auth ??= await this.login();
    const auth = this.auth;
    const send = () =>
      fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${auth.token}`,
          "X-CSRFToken": auth.csrf,
          Cookie: auth.cookie,
          Referer: this.baseUrl,
          // A form sets its own multipart type and boundary.
          ...(typeof body === "string" ? { "Content-Type": "application/json" } : {}),
        },
        body,
        signal: AbortSignal.timeout(120_000),
      });
    // A kept-alive connection the server closed just as it was reused fails before the
    // request reaches Superset: sending it once more is safe.
    const response = await send().catch((error: Error) => {
      if (error.name === "TimeoutError") throw error;
      return send();
    });
    if (!response.ok) {
      const text = await response.text();
      throw new SupersetApiError(
        `Superset API ${method} ${path}: HTTP ${response.status}: ${text.slice(0, 800)}`,
      );
    }
    return response;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(
      method,
      path,
      body === undefined ? undefined : JSON.stringify(body),
    );
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A multipart form (a file import). */
  async upload(path: string, form: FormData): Promise<void> {
    await (await this.send("POST", path, form)).text();
  }

  /** A file (an export). */
  async download(path: string): Promise<Uint8Array> {
    return new Uint8Array(await (await this.send("GET", path)).arrayBuffer());
  }

  /**
   * Every object of a kind (`database`, `dataset`, `chart`, `dashboard`), all pages; with
   * `startsWith`, only those whose column starts with the text.
   */
  async list<T>(kind: string, columns: string[], startsWith?: [string, string]): Promise<T[]> {
    const all: T[] = [];
    // Rison, Superset's query syntax: a string is quoted, ' and ! escaped with !.
    const rison = (text: string) => `'${text.replace(/[!']/g, (c) => `!${c}`)}'`;
    const filter = startsWith
      ? `,filters:!((col:${startsWith[0]},opr:sw,value:${rison(startsWith[1])}))`
      : "";
    for (let page = 0; ; page++) {
      const q = `(columns:!(${columns.join(",")})${filter},page:${page},page_size:100)`;
      const result = await this.request<{ result: T[]; count: number }>(
        "GET",
        `/api/v1/${kind}/?q=${encodeURIComponent(q)}`,
      );
      all.push(...result.result);
      if (all.length >= result.count || result.result.length === 0) return all;
    }
  }
}
