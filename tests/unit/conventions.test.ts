import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import conventionsJson from "../../loader/lakehouse_loader/conventions.json" with { type: "json" };
import { projectRoot } from "../../src/config/paths.ts";
import * as conventions from "../../src/pipeline/conventions.ts";

const loader = join(projectRoot, "loader");
const SHA = "0123456789abcdef".repeat(4);

/** The TypeScript module's names and keys, as the loader's are printed below. */
function fromTypeScript() {
  const c = conventions;
  return {
    SOURCE_FILE: c.SOURCE_FILE,
    INGESTED_AT: c.INGESTED_AT,
    LINEAGE_COLUMNS: [...c.LINEAGE_COLUMNS],
    REJECTS_SUFFIX: c.REJECTS_SUFFIX,
    LEDGER_TABLE: c.LEDGER_TABLE,
    HEALTH_TABLE: c.HEALTH_TABLE,
    LOAD_POOL: c.LOAD_POOL,
    SHA_CHARS: c.SHA_CHARS,
    STATUS: [
      c.LEDGER_STATUS.loaded,
      c.LEDGER_STATUS.rejected,
      c.LEDGER_STATUS.failed,
      c.LEDGER_STATUS.changed,
    ],
    SMALL_FILE_MB: c.SMALL_FILE_MB,
    LANDING_PREFIX: c.LANDING_PREFIX,
    CSV_SUFFIX: c.CSV_SUFFIX,
    SKIPPED_PREFIXES: [...c.SKIPPED_PREFIXES],
    rejects_table: c.rejectsTable("orders"),
    is_rejects_table: [c.isRejectsTable(c.rejectsTable("orders")), c.isRejectsTable("orders")],
    raw_key: c.rawKey("orders", "jan", SHA),
    rejects_key: c.rejectsKey("orders", "jan", SHA),
    raw_prefix: c.rawPrefix("orders"),
    rejects_prefix: c.rejectsPrefix("orders"),
  };
}

/** lakehouse_loader.conventions, run with python3 (it needs nothing but the standard library). */
function fromPython(): unknown {
  const script = `
import json
from lakehouse_loader import conventions as c
sha = ${JSON.stringify(SHA)}
print(json.dumps({
    "SOURCE_FILE": c.SOURCE_FILE,
    "INGESTED_AT": c.INGESTED_AT,
    "LINEAGE_COLUMNS": list(c.LINEAGE_COLUMNS),
    "REJECTS_SUFFIX": c.REJECTS_SUFFIX,
    "LEDGER_TABLE": c.LEDGER_TABLE,
    "HEALTH_TABLE": c.HEALTH_TABLE,
    "LOAD_POOL": c.LOAD_POOL,
    "SHA_CHARS": c.SHA_CHARS,
    "STATUS": [c.LOADED, c.REJECTED, c.FAILED, c.CHANGED],
    "SMALL_FILE_MB": c.SMALL_FILE_MB,
    "LANDING_PREFIX": c.LANDING_PREFIX,
    "CSV_SUFFIX": c.CSV_SUFFIX,
    "SKIPPED_PREFIXES": list(c.SKIPPED_PREFIXES),
    "rejects_table": c.rejects_table("orders"),
    "is_rejects_table": [c.is_rejects_table(c.rejects_table("orders")), c.is_rejects_table("orders")],
    "raw_key": c.raw_key("orders", "jan", sha),
    "rejects_key": c.rejects_key("orders", "jan", sha),
    "raw_prefix": c.raw_prefix("orders"),
    "rejects_prefix": c.rejects_prefix("orders"),
}))
`;
  const out = execFileSync("python3", ["-c", script], {
    cwd: loader,
    env: { ...process.env, PYTHONPATH: loader },
    encoding: "utf8",
  });
  return JSON.parse(out);
}

/** The shared names: a copy of one in code, outside the conventions modules, is drift. */
const NAMES = [
  conventionsJson.lineage_columns.source_file,
  conventionsJson.lineage_columns.ingested_at,
  conventionsJson.rejects_table_suffix,
  conventionsJson.ledger_table,
  conventionsJson.load_pool,
];
const CODE = /\.(ts|mts|js|mjs|py)$/;
const SCANNED = [
  "src/",
  "tests/",
  "bench/",
  "scripts/",
  "airflow/dags/",
  "loader/lakehouse_loader/",
];

/**
 * Lines of code that name one of NAMES, as "file:line: text". Comments are prose, and so
 * is Markdown quoted in Python docstrings (`name`, ``name``).
 */
function copies(): string[] {
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
    cwd: projectRoot,
    encoding: "utf8",
  })
    .split("\n")
    .filter((f) => CODE.test(f) && SCANNED.some((dir) => f.startsWith(dir)))
    .filter((f) => !/\/conventions\.(ts|py)$/.test(f))
    .filter((f) => f !== "tests/unit/conventions.test.ts");
  const found: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(join(projectRoot, file), "utf8");
    } catch {
      continue; // listed by git, deleted in the working tree
    }
    text.split("\n").forEach((line, i) => {
      if (/^\s*(#|\/\/|\*|\/\*)/.test(line)) return;
      const code = file.endsWith(".py") ? line.replace(/``[^`]*``|`[^`]*`/g, "") : line;
      if (NAMES.some((name) => code.includes(name))) found.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  return found;
}

describe("names defined once for the loader and the CLI (conventions.json)", () => {
  it("the Python and TypeScript modules give the same names and object keys", () => {
    expect(fromPython()).toEqual(fromTypeScript());
  });

  it("keys and prefixes fit together", () => {
    const { rawKey, rawPrefix, rejectsKey, rejectsPrefix, SHA_CHARS } = conventions;
    expect(rawKey("orders", "jan", SHA).startsWith(rawPrefix("orders"))).toBe(true);
    expect(rejectsKey("orders", "jan", SHA).startsWith(rejectsPrefix("orders"))).toBe(true);
    expect(rawKey("orders", "jan", SHA)).toContain(`jan.${SHA.slice(0, SHA_CHARS)}.`);
    expect(rawPrefix("orders")).not.toEqual(rejectsPrefix("orders"));
  });

  it("no code outside the conventions modules spells a shared name", () => {
    const hint = "spell them with src/pipeline/conventions.ts or lakehouse_loader.conventions";
    expect(copies(), hint).toEqual([]);
  });

  it("docker mode's Airflow creates the pool the DAGs use", () => {
    const compose = readFileSync(join(projectRoot, "docker-compose.yml"), "utf8");
    expect(compose).toContain(`airflow pools set ${conventions.LOAD_POOL} 1 `);
  });
});
