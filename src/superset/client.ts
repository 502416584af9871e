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

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
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
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(120_000),
      });
    // A kept-alive connection the server closed just as it was reused fails before the
    // request reaches Superset: sending it once more is safe.
    const response = await send().catch((error: Error) => {
      if (error.name === "TimeoutError") throw error;
      return send();
    });
    const text = await response.text();
    if (!response.ok) {
      throw new SupersetApiError(
        `Superset API ${method} ${path}: HTTP ${response.status}: ${text.slice(0, 800)}`,
      );
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Every object of a kind (`database`, `dataset`, `chart`, `dashboard`), all pages. */
  async list<T>(kind: string, columns: string[]): Promise<T[]> {
    const all: T[] = [];
    for (let page = 0; ; page++) {
      // Rison, Superset's query syntax; only constant names go into it.
      const q = `(columns:!(${columns.join(",")}),page:${page},page_size:100)`;
      const result = await this.request<{ result: T[]; count: number }>(
        "GET",
        `/api/v1/${kind}/?q=${encodeURIComponent(q)}`,
      );
      all.push(...result.result);
      if (all.length >= result.count || result.result.length === 0) return all;
    }
  }
}
