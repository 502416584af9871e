import { validate } from "dockerfile-utils";

/**
 * Dockerfile checks. hadolint (Haskell) is not available here, so: dockerfile-utils, the
 * linter behind the VS Code Docker language server (syntax, argument counts, deprecated
 * instructions, invalid flags), plus the project's rules below, which it does not know:
 * every image is built from a Debian base named in versions.env, trusts the build CA before
 * it downloads anything, verifies what it downloads, and takes pinned versions from
 * versions.env rather than writing them again. `pins` are versions.env's KEY=value pairs.
 */
export function lintDockerfile(content: string, pins: Record<string, string>): string[] {
  return [
    ...validate(content).map((d) => `line ${d.range.start.line + 1}: ${d.message}`),
    ...projectRules(content, pins),
  ];
}

export interface Instruction {
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

/** One build stage: its FROM, its name (lower case) and the instructions after it. */
export interface Stage {
  index: number;
  name: string | undefined;
  base: string;
  from: Instruction;
  body: Instruction[];
}

export function stages(content: string): Stage[] {
  const result: Stage[] = [];
  for (const i of instructions(content)) {
    if (i.keyword === "FROM") {
      const { words } = splitFlags(i.args);
      const name = words[1]?.toUpperCase() === "AS" ? words[2]?.toLowerCase() : undefined;
      result.push({ index: result.length, name, base: words[0] ?? "", from: i, body: [] });
    } else result.at(-1)?.body.push(i);
  }
  return result;
}

/** Leading `--flag[=value]` words of an instruction, and the words after them. */
export function splitFlags(args: string): { flags: Record<string, string>; words: string[] } {
  const tokens = args.split(/\s+/).filter(Boolean);
  const flags: Record<string, string> = {};
  let i = 0;
  for (; i < tokens.length && tokens[i]?.startsWith("--"); i++) {
    const [key = "", ...value] = (tokens[i] ?? "").slice(2).split("=");
    flags[key] = value.join("=");
  }
  return { flags, words: tokens.slice(i) };
}

/** The simple commands of a RUN (split on && || ; |), without leading VAR=value words. */
export function shellCommands(run: string): string[] {
  return run
    .split(/&&|\|\||;|\|/)
    .map((c) => c.trim().replace(/^(?:[A-Za-z_][A-Za-z0-9_]*=(?:"[^"]*"|'[^']*'|\S*)\s+)+/, ""))
    .filter(Boolean);
}

export function imageTag(image: string): string | undefined {
  const name = image.split("@")[0] ?? "";
  const slash = name.lastIndexOf("/");
  const colon = name.lastIndexOf(":");
  return colon > slash ? name.slice(colon + 1) : undefined;
}

/** What a command downloads with, or undefined for a command that stays offline. */
type Download = "apt" | "curl" | "pip" | "uv" | "go" | "npm" | "helper";
const DOWNLOADS: [RegExp, Download][] = [
  [/(?:^|[\s/])(?:maven|npm)-fetch\.sh\b/, "helper"],
  [/^apt(?:-get)?\s.*\b(?:update|install|upgrade|dist-upgrade|download)\b/, "apt"],
  [/^(?:curl|wget)\b/, "curl"],
  [/^uv\s+pip\s+install\b/, "uv"],
  [/\bpip3?\s+install\b/, "pip"],
  [/^go\s+(?:build|install|get|run|mod\s+download)\b/, "go"],
  [/\bnpm(?:-cli\.js)?\s+(?:ci|install|i|add|update)\b/, "npm"],
];
const downloadKind = (command: string) => DOWNLOADS.find(([re]) => re.test(command))?.[1];

const CA_DIR = "/usr/local/share/ca-certificates/";
const unquote = (word: string) => word.replace(/^["']|["']$/g, "");
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function projectRules(content: string, pins: Record<string, string>): string[] {
  const problems: string[] = [];
  const bases = Object.entries(pins)
    .filter(([key]) => key.endsWith("_IMAGE"))
    .map(([, image]) => image);
  const all = stages(content);
  if (all.length === 0) problems.push("no FROM");
  const earlier = new Set<string>();
  for (const stage of all) {
    const { line } = stage.from;
    if (!earlier.has(stage.base.toLowerCase())) {
      const tag = imageTag(stage.base);
      if (!tag) problems.push(`line ${line}: FROM ${stage.base} has no tag`);
      else if (tag === "latest") problems.push(`line ${line}: FROM ${stage.base} uses latest`);
      if (!bases.includes(stage.base))
        problems.push(`line ${line}: FROM ${stage.base} is not a base image of versions.env`);
    }
    problems.push(...stageRules(stage, stage === all.at(-1), earlier, pins));
    earlier.add(String(stage.index));
    if (stage.name) earlier.add(stage.name);
  }
  problems.push(...literalPins(content, pins));
  return problems;
}

function stageRules(
  stage: Stage,
  final: boolean,
  earlier: Set<string>,
  pins: Record<string, string>,
): string[] {
  const problems: string[] = [];
  let caCopied = false;
  let caInstalled = false;
  let versionsEnv: string | undefined;
  for (const i of stage.body) {
    const at = `line ${i.line}`;
    const { flags, words } = splitFlags(i.args);
    if (/(?:^|\s)--mount[=\s]/.test(i.args))
      problems.push(`${at}: ${i.keyword} --mount (BuildKit caches and secrets do not belong here)`);
    if (i.keyword === "ADD") {
      if (/\b(?:https?|ftp):\/\/|\bgit@/.test(i.args))
        problems.push(`${at}: ADD of a URL (download in a RUN and check its checksum)`);
      if ("checksum" in flags)
        problems.push(`${at}: ADD --checksum (pin versions in versions.env)`);
    }
    if (i.keyword === "COPY" || i.keyword === "ADD") {
      const dest = words.at(-1) ?? "";
      const sources = words.slice(0, -1);
      if (flags.from !== undefined) {
        if (!earlier.has(flags.from.toLowerCase()))
          problems.push(
            `${at}: COPY --from=${flags.from} is not an earlier stage (it would pull it)`,
          );
      } else {
        if (
          sources.some((s) => s.replace(/\/$/, "") === "docker/build-ca") &&
          dest.startsWith(CA_DIR)
        )
          caCopied = true;
        if (sources.includes("versions.env"))
          versionsEnv =
            dest.endsWith("/") || sources.length > 1
              ? `${dest.replace(/\/$/, "")}/versions.env`
              : dest;
      }
    }
    if (i.keyword !== "RUN") continue;
    const commands = shellCommands(i.args);
    const used = [...i.args.matchAll(/\$\{?([A-Z][A-Z0-9_]*)\b/g)]
      .map((m) => m[1] ?? "")
      .filter((key) => key in pins);
    if (used.length > 0 && !(versionsEnv && commands[0] === `. ${versionsEnv}`))
      problems.push(
        `${at}: uses $${used[0]} without first sourcing the versions.env copied into this stage`,
      );
    for (const command of commands) {
      if (/^update-ca-certificates\b/.test(command) && caCopied) caInstalled = true;
      const kind = downloadKind(command);
      if (!kind) continue;
      const tool = command.split(/\s+/)[0];
      if (!caCopied)
        problems.push(`${at}: downloads (${tool}) before COPY docker/build-ca/ ${CA_DIR}`);
      else if (kind !== "apt" && !caInstalled)
        problems.push(
          `${at}: downloads (${tool}) before update-ca-certificates trusts the build CA`,
        );
      problems.push(...downloadRules(kind, command, i.args, pins).map((p) => `${at}: ${p}`));
    }
    if (
      final &&
      /\bapt-get\s+install\b/.test(i.args) &&
      !i.args.includes("rm -rf /var/lib/apt/lists")
    )
      problems.push(`${at}: apt-get install without cleaning the lists`);
  }
  const lastUser = stage.body
    .filter((i) => i.keyword === "USER")
    .at(-1)
    ?.args.split(":")[0];
  if (final && (lastUser === "root" || lastUser === "0")) problems.push("ends as root");
  return problems;
}

/** Whether a download is verified and pinned; `run` is the whole RUN it is part of. */
function downloadRules(
  kind: Download,
  command: string,
  run: string,
  pins: Record<string, string>,
): string[] {
  const problems: string[] = [];
  const words = command.split(/\s+/).map(unquote);
  const pinned = (word: string | undefined) => {
    const key = /^\$\{?([A-Z][A-Z0-9_]*)\}?$/.exec(word ?? "")?.[1];
    return key !== undefined && key in pins ? key : undefined;
  };
  switch (kind) {
    case "curl":
      if (!/\bsha(?:1|256|512)sum\s+(?:-c|--check)\b/.test(run))
        problems.push(
          `downloads with ${words[0]} without checking a checksum (sha256sum -c, or docker/maven-fetch.sh and docker/npm-fetch.sh)`,
        );
      break;
    case "helper": {
      const at = words.findIndex((w) => /(?:maven|npm)-fetch\.sh$/.test(w));
      const script = words[at] ?? "";
      // maven-fetch.sh GROUP ARTIFACT VERSION FILE DEST; npm-fetch.sh PACKAGE VERSION SHA1 DEST
      const args = words.slice(at + 1);
      const versionKey = pinned(script.endsWith("maven-fetch.sh") ? args[2] : args[1]);
      if (!versionKey)
        problems.push(`${script} with a version that is not a versions.env variable`);
      if (script.endsWith("npm-fetch.sh") && !pinned(args[2]))
        problems.push(`${script} with a SHA-1 that is not a versions.env variable`);
      break;
    }
    case "pip": {
      if (!command.includes("--no-cache-dir")) problems.push("pip install without --no-cache-dir");
      if (/--trusted-host|--extra-index-url|--index-url|(?:^|\s)-i\s/.test(command))
        problems.push("pip install from another index than PyPI's, or without TLS checks");
      const args = words.slice(words.indexOf("install") + 1);
      const packages = args.filter(
        (w, j) =>
          !w.startsWith("-") && !/^(-r|--requirement|-c|--constraint)$/.test(args[j - 1] ?? ""),
      );
      const locks = args.filter((_, j) => /^(-r|--requirement)$/.test(args[j - 1] ?? ""));
      if (packages.length > 0 || locks.length === 0 || locks.some((l) => !l.endsWith(".lock")))
        problems.push("pip install of something else than a lock file (-r ….lock)");
      break;
    }
    case "uv":
      if (!command.includes("--no-cache")) problems.push("uv pip install without --no-cache");
      break;
    case "npm":
      if (!/\bci\b/.test(command))
        problems.push("npm without ci (only ci checks the lock's hashes)");
      break;
    case "go":
      if (
        /\bGOSUMDB=off|\bGONOSUMDB=|\bGONOSUMCHECK=|\bGOINSECURE=|\bGOPRIVATE=|-insecure\b/.test(
          run,
        )
      )
        problems.push("go downloads without the checksum database");
      break;
    case "apt":
      break;
  }
  return problems;
}

/** A pinned value written out again instead of its versions.env variable. */
function literalPins(content: string, pins: Record<string, string>): string[] {
  const problems: string[] = [];
  const pinned = Object.entries(pins).filter(([key]) => !key.endsWith("_IMAGE"));
  for (const i of instructions(content)) {
    for (const [key, value] of pinned) {
      if (new RegExp(`(?<![\\w.])${escapeRegExp(value)}(?!\\w|\\.\\d)`).test(i.args))
        problems.push(`line ${i.line}: writes ${value}, the value of ${key}: use "$${key}"`);
    }
  }
  return problems;
}

/**
 * Whether the build context sends a path to the builder under these .dockerignore rules:
 * the last pattern that matches the path or one of its parents decides (`!` re-includes).
 */
export function sentToBuilder(path: string, dockerignore: string): boolean {
  let sent = true;
  const parts = path.replace(/\/$/, "").split("/");
  for (const raw of dockerignore.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const include = line.startsWith("!");
    const pattern = (include ? line.slice(1) : line).replace(/^\/+|\/+$/g, "");
    const re = new RegExp(
      `^${pattern
        .split("**")
        .map((piece) => escapeRegExp(piece).replace(/\\\*/g, "[^/]*").replace(/\\\?/g, "[^/]"))
        .join(".*")}$`,
    );
    if (parts.some((_, j) => re.test(parts.slice(0, j + 1).join("/")))) sent = include;
  }
  return sent;
}
