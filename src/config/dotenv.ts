import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { generateSecret } from "./secret.ts";

/** Parses KEY=VALUE lines; `#` comments, blank lines and optional surrounding quotes allowed. */
export function parseDotenv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new Error(`line ${index + 1}: expected KEY=VALUE, got "${line}"`);
    const [, key, value = ""] = match;
    values[key as string] = value.replace(/^(['"])(.*)\1$/, "$2");
  }
  return values;
}

/**
 * Makes sure `path` holds a value for every secret in `secrets`, generating the missing
 * ones. An existing value is never replaced, so data encrypted or protected by it stays
 * reachable; new secrets that later versions introduce are appended.
 * Returns the names of the secrets it generated.
 */
export function ensureSecrets(
  path: string,
  secrets: readonly string[],
  header: string,
  forms: Partial<Record<string, () => string>> = {},
): string[] {
  const exists = existsSync(path);
  const current = exists ? parseDotenv(readFileSync(path, "utf8")) : {};
  const missing = secrets.filter((name) => !current[name]);
  if (missing.length === 0) return [];
  const lines = missing.map((name) => `${name}=${(forms[name] ?? generateSecret)()}`);
  const prefix = exists ? "\n# Added by a newer version of lakehouse\n" : header;
  const body = exists ? readFileSync(path, "utf8") : "";
  writeFileSync(path, `${body}${prefix}${lines.join("\n")}\n`, { mode: 0o600 });
  return missing;
}
