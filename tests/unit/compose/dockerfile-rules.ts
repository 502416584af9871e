import { validate } from "dockerfile-utils";

/**
 * Dockerfile checks. hadolint (Haskell) is not available here, so: dockerfile-utils, the
 * linter behind the VS Code Docker language server (syntax, argument counts, deprecated
 * instructions, invalid flags), plus the rules below that it does not know about.
 */
export function lintDockerfile(content: string): string[] {
  return [
    ...validate(content).map((d) => `line ${d.range.start.line + 1}: ${d.message}`),
    ...projectRules(content),
  ];
}

interface Instruction {
  line: number;
  keyword: string;
  args: string;
}

/** Instructions with continuation lines joined; comments dropped. */
export function instructions(content: string): Instruction[] {
  const result: Instruction[] = [];
  let current: Instruction | undefined;
  content.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (!current && (line === "" || line.startsWith("#"))) return;
    if (current) {
      if (!line.startsWith("#")) current.args += ` ${line.replace(/\\$/, "").trim()}`;
    } else {
      const m = /^(\S+)\s*(.*)$/.exec(line);
      current = { line: index + 1, keyword: (m?.[1] ?? "").toUpperCase(), args: "" };
      current.args = (m?.[2] ?? "").replace(/\\$/, "").trim();
    }
    if (!line.endsWith("\\")) {
      result.push(current);
      current = undefined;
    }
  });
  if (current) result.push(current);
  return result;
}

/** A tag is exact when it is a full version: at least major.minor, or Trino's single number. */
export const EXACT_TAG = /^(\d+\.\d+(\.\d+)*|\d{3,})([-.][a-z0-9.]+)?$/;

export function imageTag(image: string): string | undefined {
  const name = image.split("@")[0] ?? "";
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  return colon > slash ? name.slice(colon + 1) : undefined;
}

/** The base images whose default user is not root; a Dockerfile on them must not end as root. */
const NON_ROOT_BASES = ["apache/airflow", "apache/superset", "apache/iceberg-rest-fixture"];

function projectRules(content: string): string[] {
  const problems: string[] = [];
  const all = instructions(content);
  const froms = all.filter((i) => i.keyword === "FROM");
  if (froms.length === 0) problems.push("no FROM");
  for (const from of froms) {
    const image = from.args.split(/\s+/).find((a) => !a.startsWith("--")) ?? "";
    const tag = imageTag(image);
    if (!tag) problems.push(`line ${from.line}: FROM ${image} has no tag`);
    else if (tag === "latest") problems.push(`line ${from.line}: FROM ${image} uses latest`);
    else if (!EXACT_TAG.test(tag))
      problems.push(`line ${from.line}: FROM ${image} is not an exact version`);
  }
  for (const run of all.filter((i) => i.keyword === "RUN")) {
    // pip keeps every wheel in ~/.cache otherwise, which then ships in the layer.
    if (/\bpip3? install\b/.test(run.args) && !/\buv pip install\b/.test(run.args)) {
      if (!run.args.includes("--no-cache-dir"))
        problems.push(`line ${run.line}: pip install without --no-cache-dir`);
    }
    if (/\buv pip install\b/.test(run.args) && !run.args.includes("--no-cache"))
      problems.push(`line ${run.line}: uv pip install without --no-cache`);
    if (/\bapt-get install\b/.test(run.args) && !run.args.includes("rm -rf /var/lib/apt/lists"))
      problems.push(`line ${run.line}: apt-get install without cleaning the lists`);
  }
  const base = (
    froms
      .at(-1)
      ?.args.split(/\s+/)
      .find((a) => !a.startsWith("--")) ?? ""
  ).split(":")[0];
  const users = all.filter((i) => i.keyword === "USER");
  const lastUser = users.at(-1)?.args.split(":")[0];
  if (NON_ROOT_BASES.includes(base ?? "") && (lastUser === "root" || lastUser === "0"))
    problems.push(`ends as root although ${base} runs as a non-root user`);
  return problems;
}
