import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDotenv } from "../../src/config/dotenv.ts";
import { cacheDir } from "../../src/config/paths.ts";
import {
  GENERATED_SECRETS,
  loadSettings,
  PORT_DEFAULTS,
  SettingsError,
} from "../../src/config/settings.ts";
import { pipelineEnv } from "../../src/pipeline/direct-ingest.ts";

function tempEnv(extra: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "lakehouse-config-"));
  return {
    dir,
    env: { LAKEHOUSE_ENV_FILE: join(dir, ".env"), LAKEHOUSE_HOME: join(dir, "state"), ...extra },
  };
}

describe("settings", () => {
  it("uses the spec's ports and binds to 127.0.0.1 by default", () => {
    const { env } = tempEnv();
    const s = loadSettings({ env });
    expect(s.bindHost).toBe("127.0.0.1");
    expect(s.ports).toEqual(PORT_DEFAULTS);
    expect(s.ports.TRINO_PORT).toBe(8083);
    expect(s.ports.AIRFLOW_PORT).toBe(8081);
    expect(s.s3.bucket).toBe("lakehouse");
    expect(s.s3.warehouseBucket).toBe("lakehouse-warehouse");
  });

  it("generates .env with every secret on first run, private to the user", () => {
    const { env } = tempEnv();
    loadSettings({ env });
    const file = env.LAKEHOUSE_ENV_FILE;
    const values = parseDotenv(readFileSync(file, "utf8"));
    for (const name of GENERATED_SECRETS.filter((n) => n !== "AIRFLOW_FERNET_KEY")) {
      expect(values[name]).toMatch(/^[A-Za-z0-9]{32}$/);
    }
    // A Fernet key: url-safe base64 of exactly 32 bytes.
    expect(values.AIRFLOW_FERNET_KEY).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(Buffer.from(values.AIRFLOW_FERNET_KEY as string, "base64url")).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("never overwrites an existing secret, and adds only missing ones", () => {
    const { env } = tempEnv();
    writeFileSync(env.LAKEHOUSE_ENV_FILE, "POSTGRES_PASSWORD=keep-this-password-123\n");
    const s = loadSettings({ env });
    expect(s.postgres.password.reveal()).toBe("keep-this-password-123");
    const again = loadSettings({ env });
    expect(again.s3.secretKey.reveal()).toBe(s.s3.secretKey.reveal());
    const text = readFileSync(env.LAKEHOUSE_ENV_FILE, "utf8");
    expect(text.match(/S3_SECRET_KEY=/g)).toHaveLength(1);
  });

  it("gives two installs different secrets", () => {
    const a = loadSettings({ env: tempEnv().env });
    const b = loadSettings({ env: tempEnv().env });
    expect(a.postgres.password.reveal()).not.toBe(b.postgres.password.reveal());
    expect(a.s3.accessKey.reveal()).not.toBe(b.s3.accessKey.reveal());
  });

  it("lets the environment override .env", () => {
    const { env } = tempEnv({ TRINO_PORT: "9999" });
    writeFileSync(env.LAKEHOUSE_ENV_FILE, "TRINO_PORT=7777\nSUPERSET_PORT=7778\n");
    const s = loadSettings({ env });
    expect(s.ports.TRINO_PORT).toBe(9999);
    expect(s.ports.SUPERSET_PORT).toBe(7778);
  });

  it("names the variable, its source and the problem when a value is invalid", () => {
    const { env } = tempEnv();
    writeFileSync(env.LAKEHOUSE_ENV_FILE, "VALKEY_PORT=http\n");
    expect(() => loadSettings({ env })).toThrow(SettingsError);
    expect(() => loadSettings({ env })).toThrow(/VALKEY_PORT \(from .*\.env\)/);
  });

  it("passes the table-health thresholds to the loader only when set (empty is unset)", () => {
    const unset = loadSettings(tempEnv({ LAKEHOUSE_COMPACT_AT_SMALL_FILES: "" }));
    expect(unset.tableHealth).toEqual({});
    expect(Object.keys(pipelineEnv(unset))).not.toContain("LAKEHOUSE_COMPACT_AT_SMALL_FILES");
    const set = loadSettings(tempEnv({ LAKEHOUSE_EXPIRE_AT_SNAPSHOTS: "40" }));
    expect(pipelineEnv(set)).toMatchObject({ LAKEHOUSE_EXPIRE_AT_SNAPSHOTS: "40" });
    expect(() => loadSettings(tempEnv({ LAKEHOUSE_EXPIRE_AT_SNAPSHOTS: "0" }))).toThrow(
      /LAKEHOUSE_EXPIRE_AT_SNAPSHOTS/,
    );
  });

  it("passes the install's reject ratio to the loader only when set, from 0 to 1", () => {
    const unset = loadSettings(tempEnv({ LAKEHOUSE_MAX_REJECT_RATIO: "" }));
    expect(Object.keys(pipelineEnv(unset))).not.toContain("LAKEHOUSE_MAX_REJECT_RATIO");
    const set = loadSettings(tempEnv({ LAKEHOUSE_MAX_REJECT_RATIO: "0.2" }));
    expect(pipelineEnv(set)).toMatchObject({ LAKEHOUSE_MAX_REJECT_RATIO: "0.2" });
    expect(() => loadSettings(tempEnv({ LAKEHOUSE_MAX_REJECT_RATIO: "5" }))).toThrow(
      /LAKEHOUSE_MAX_REJECT_RATIO/,
    );
  });

  it("refuses two services on one port", () => {
    const { env } = tempEnv({ TRINO_PORT: "5432" });
    expect(() => loadSettings({ env })).toThrow(
      /cannot share a port: POSTGRES_PORT=5432, TRINO_PORT=5432/,
    );
  });

  it("keeps secrets out of logs and JSON", () => {
    const s = loadSettings({ env: tempEnv().env });
    const shown = `${s.postgres.password} ${JSON.stringify(s)}`;
    expect(shown).not.toContain(s.postgres.password.reveal());
    expect(shown).not.toContain(s.s3.secretKey.reveal());
  });

  it("keeps the install cache in the user's cache directory, overridable", () => {
    expect(cacheDir({ XDG_CACHE_HOME: "/x/cache" })).toBe("/x/cache/lakehouse");
    expect(cacheDir({ LAKEHOUSE_CACHE_DIR: "/y", XDG_CACHE_HOME: "/x" })).toBe("/y");
  });
});

describe("parseDotenv", () => {
  it("reads comments, blanks, quotes and export prefixes", () => {
    expect(parseDotenv("# c\n\nA=1\nexport B='two'\nC=\"3 3\"\n")).toEqual({
      A: "1",
      B: "two",
      C: "3 3",
    });
  });
  it("names the line it cannot read", () => {
    expect(() => parseDotenv("A=1\nnot a setting\n")).toThrow(/line 2/);
  });
});
