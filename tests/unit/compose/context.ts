import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import { GENERATED_SECRETS } from "../../../src/config/settings.ts";
import {
  type ComposeFile,
  commandText,
  loadCompose,
  ROOT,
  readRepoFile,
  repoPathExists,
  type Service,
} from "./compose-file.ts";
import { type Stage, splitFlags, stages } from "./dockerfile-rules.ts";
import { readVersionsEnv } from "./versions-env.ts";

// docker-compose.yml, the Dockerfiles and versions.env are checked statically: no Docker
// engine is needed. Every test reads only files of this repository.
export const compose = loadCompose();
export const services = Object.entries(compose.services);
export const service = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
};
export const spec = readRepoFile("docs/specification.md");
export const versionsEnv = readVersionsEnv();
export const pins = versionsEnv.values;

/** How the spec's tables name a service, and which compose services that means. */
export const SPEC_LABELS: Record<string, string[]> = {
  PostgreSQL: ["postgres"],
  Valkey: ["valkey"],
  "SeaweedFS Master": ["seaweedfs-master"],
  "SeaweedFS Volume": ["seaweedfs-volume"],
  "SeaweedFS Filer": ["seaweedfs-filer"],
  "SeaweedFS S3": ["seaweedfs-s3"],
  "Airflow Webserver": ["airflow-apiserver"],
  "Airflow Scheduler": ["airflow-scheduler"],
  "Airflow Worker": ["airflow-worker"],
  "Airflow Flower": ["airflow-flower"],
  "Iceberg REST Catalog": ["iceberg-rest"],
  Trino: ["trino"],
  Superset: ["superset"],
  Airflow: services.filter(([, s]) => s.image?.startsWith("lakehouse/airflow:")).map(([n]) => n),
};
export const servicesFor = (label: string): string[] => {
  const names = SPEC_LABELS[label];
  if (!names) throw new Error(`The spec names a service "${label}": add it to SPEC_LABELS`);
  return names;
};

/** Secrets: generated into .env, never given a default in the compose file. */
export const SECRETS: readonly string[] = GENERATED_SECRETS;

/**
 * What each Debian release the images start from ships, for the versions the design
 * promises: Debian 12's PostgreSQL 15 and Python 3.11, Debian 13's Valkey 8.
 */
export const DEBIAN_RELEASES: Record<
  string,
  { postgres?: string; python: string; valkey?: string }
> = {
  bookworm: { postgres: "15", python: "3.11" },
  trixie: { postgres: "17", python: "3.13", valkey: "8" },
};

/**
 * The spec writes a health check as a command line; ours may add flags (--fail) or
 * use a newer path with the same ending (Airflow 3 moved /health to /api/v2/monitor/health).
 * Returns the parts of the spec's command that the compose check lacks.
 */
export function missingFromCommand(specCommand: string, actual: string): string[] {
  const words = actual.split(/\s+/);
  return specCommand.split(/\s+/).filter((part) => {
    if (!part.startsWith("http")) return !words.includes(part);
    const want = new URL(part);
    return !words.some((w) => {
      if (!w.startsWith("http")) return false;
      const got = new URL(w);
      return got.origin === want.origin && got.pathname.endsWith(want.pathname);
    });
  });
}

export function dependencyCycle(c: ComposeFile): string | undefined {
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, path: string[]): string | undefined => {
    if (state.get(name) === "done") return undefined;
    if (state.get(name) === "visiting") return [...path, name].join(" -> ");
    state.set(name, "visiting");
    for (const dep of Object.keys(c.services[name]?.depends_on ?? {})) {
      const cycle = visit(dep, [...path, name]);
      if (cycle) return cycle;
    }
    state.set(name, "done");
    return undefined;
  };
  for (const name of Object.keys(c.services)) {
    const cycle = visit(name, []);
    if (cycle) return cycle;
  }
  return undefined;
}

export function listFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((entry) => {
    const path = `${dir}/${entry}`;
    return statSync(join(ROOT, path)).isDirectory() ? listFiles(path) : [path];
  });
}

export function trinoEtcFiles(): string[] {
  return listFiles("services/trino/etc");
}

export const withoutComments = (script: string) =>
  script
    .split("\n")
    .filter((line) => !line.trim().startsWith("#"))
    .join("\n");

/** A `-name=value` argument of a service's command (SeaweedFS's flags). */
export function flag(s: Service, name: string): string | undefined {
  const word = commandText(s)
    .split(/\s+/)
    .find((w) => w.startsWith(`${name}=`));
  return word?.slice(name.length + 1);
}

export const dockerfileOf = (s: Service) => s.build?.dockerfile ?? "(no build)";

export function finalStage(file: string): Stage {
  const last = stages(readRepoFile(file)).at(-1);
  if (!last) throw new Error(`${file} has no FROM`);
  return last;
}

/** The environment a Dockerfile's final stage sets (ENV KEY=value ...). */
export function imageEnv(file: string): Record<string, string> {
  return Object.fromEntries(
    finalStage(file)
      .body.filter((i) => i.keyword === "ENV")
      .flatMap((i) => i.args.split(/\s+/))
      .map((word) => word.split("="))
      .filter((pair) => pair.length >= 2)
      .map(([key = "", ...value]) => [key, value.join("=")]),
  );
}

/** The final stage's ENTRYPOINT, in its exec form. */
export function imageEntrypoint(file: string): string[] {
  const entrypoint = finalStage(file)
    .body.filter((i) => i.keyword === "ENTRYPOINT")
    .at(-1);
  return entrypoint ? (JSON.parse(entrypoint.args) as string[]) : [];
}

/** The repository file that a Dockerfile's final stage copies to a path of the image. */
export function copiedTo(file: string, path: string): string | undefined {
  for (const i of finalStage(file).body.filter((i) => i.keyword === "COPY")) {
    const { flags, words } = splitFlags(i.args);
    if (flags.from !== undefined) continue;
    const dest = words.at(-1) ?? "";
    for (const source of words.slice(0, -1)) {
      if ((dest.endsWith("/") ? `${dest}${posix.basename(source)}` : dest) === path) return source;
    }
  }
  return undefined;
}

/**
 * The repository script a service starts: its entrypoint (compose's, else its image's)
 * when that is a script copied from the repository, run directly or with /bin/sh.
 */
export function entrypointScript(s: Service): string | undefined {
  const entrypoint = s.entrypoint ?? imageEntrypoint(dockerfileOf(s));
  const words = typeof entrypoint === "string" ? entrypoint.split(/\s+/) : entrypoint;
  const path = words[0] === "/bin/sh" || words[0] === "sh" ? words[1] : words[0];
  if (!path || path === "-c") return undefined;
  return copiedTo(dockerfileOf(s), path);
}

/**
 * Whether an image holds a path: copied into its final stage from the repository or from
 * an earlier stage, a package that `npm ci` installed into node_modules (with --omit=dev,
 * only the package's production dependencies), or unpacked or compiled there by a RUN.
 */
export function imageProvides(
  file: string,
  path: string,
  pkg: { dependencies: Record<string, string> },
): boolean {
  const all = stages(readRepoFile(file));
  const provides = (index: number, wanted: string): boolean => {
    const stage = all[index];
    if (!stage) return false;
    for (const i of [...stage.body].reverse()) {
      if (i.keyword === "RUN") {
        const dir = /\bcd (\S+) &&.*\bnpm(?:-cli\.js)? ci\b/.exec(i.args)?.[1];
        if (dir && wanted.startsWith(`${dir}/node_modules/`)) {
          const parts = wanted.slice(`${dir}/node_modules/`.length).split("/");
          const name = parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] ?? "");
          return (
            provides(index, `${dir}/package.json`) &&
            provides(index, `${dir}/package-lock.json`) &&
            (name in pkg.dependencies || !i.args.includes("--omit=dev"))
          );
        }
        // What a RUN unpacks or compiles into a folder it names as the output (-C, -d, -o).
        const made = [
          ...i.args.matchAll(/(?:^|\s)(?:-C|-d|-o|--output|--directory)\s+(\/[\w./-]+)/g),
        ];
        if (made.some((m) => wanted === m[1] || wanted.startsWith(`${m[1]?.replace(/\/$/, "")}/`)))
          return true;
      }
      if (i.keyword !== "COPY") continue;
      const { flags, words } = splitFlags(i.args);
      const dest = words.at(-1) ?? "";
      for (const source of words.slice(0, -1)) {
        const directory = flags.from === undefined && statSafe(source);
        const at = dest.endsWith("/") && !directory ? `${dest}${posix.basename(source)}` : dest;
        if (wanted !== at && !wanted.startsWith(`${at.replace(/\/$/, "")}/`)) continue;
        const rest = wanted.slice(at.replace(/\/$/, "").length);
        if (flags.from === undefined) return repoPathExists(`${source.replace(/\/$/, "")}${rest}`);
        const from = all.findIndex(
          (st) => st.name === flags.from?.toLowerCase() || String(st.index) === flags.from,
        );
        return from >= 0 && from < index && provides(from, `${source}${rest}`);
      }
    }
    return false;
  };
  return provides(all.length - 1, path);
}

export const statSafe = (path: string) => {
  try {
    return statSync(join(ROOT, path)).isDirectory();
  } catch {
    return false;
  }
};

/** The packages src imports at run time (not node: built-ins, not type-only imports). */
export function cliImports(): string[] {
  const names = new Set<string>();
  for (const file of listFiles("src").filter((f) => f.endsWith(".ts"))) {
    const text = readRepoFile(file);
    for (const m of text.matchAll(
      /(?:^|\n)\s*(?:import|export)\s+(type\s+)?[^;]*?\sfrom\s+"([^"]+)"/g,
    )) {
      const spec = m[2] ?? "";
      if (m[1] || spec.startsWith(".") || spec.startsWith("node:")) continue;
      names.add(
        spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] ?? ""),
      );
    }
  }
  return [...names].sort();
}

/**
 * Files of the checkout that src reads from its root (`join(projectRoot, "…")`,
 * `join(s.paths.root, "…")`) and that git tracks: what a CLI running elsewhere must see.
 */
export function cliCheckoutFiles(): string[] {
  const paths = new Set<string>();
  for (const file of listFiles("src").filter((f) => f.endsWith(".ts"))) {
    const text = readRepoFile(file);
    for (const m of text.matchAll(
      /join\(\s*(?:projectRoot|\w+\.paths\.root)\s*,\s*((?:"[^"]*"\s*,?\s*)+)\)/g,
    ))
      paths.add([...(m[1] ?? "").matchAll(/"([^"]*)"/g)].map((p) => p[1]).join("/"));
  }
  return [...paths].filter(tracked).sort();
}

export function tracked(path: string): boolean {
  try {
    return (
      execFileSync("git", ["ls-files", "--", path], { cwd: ROOT, encoding: "utf8" }).trim() !== ""
    );
  } catch {
    return repoPathExists(path); // no git: a checkout without history
  }
}
