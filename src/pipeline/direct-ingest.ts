import { spawn } from "node:child_process";
import { join } from "node:path";
import { dim, type Reporter } from "../cli/reporter.ts";
import type { Settings } from "../config/settings.ts";
import { installedTools } from "../install/installer.ts";
import { httpUrl } from "../services/addresses.ts";
import { dropZoneListing, sourceName } from "./drop-zone.ts";
import { type FileOutcome, outcomesOf, parseOutcome, summarise } from "./outcomes.ts";
import { intoRawZone } from "./raw-zone-placement.ts";

/** The environment the Python pipeline reads its connections from (lakehouse_loader/config.py). */
export function pipelineEnv(s: Settings): Record<string, string> {
  return {
    LAKEHOUSE_TRINO_URL: httpUrl(s, "trino"),
    LAKEHOUSE_CATALOG_URL: httpUrl(s, "iceberg-rest"),
    LAKEHOUSE_S3_ENDPOINT: httpUrl(s, "seaweedfs-s3"),
    S3_ACCESS_KEY: s.s3.accessKey.reveal(),
    S3_SECRET_KEY: s.s3.secretKey.reveal(),
    S3_REGION: s.s3.region,
    LAKEHOUSE_BUCKET: s.s3.bucket,
    LAKEHOUSE_SCHEMA: s.trino.schema,
    LAKEHOUSE_DATA_DIR: s.paths.data,
    LAKEHOUSE_SNAPSHOT_RETENTION: s.snapshotRetention,
    PYTHONPATH: join(s.paths.root, "loader"),
    // Only when set: unset, the loader's defaults.
    ...definedOnly({
      LAKEHOUSE_COMPACT_AT_SMALL_FILES: s.tableHealth.compactAtSmallFiles,
      LAKEHOUSE_EXPIRE_AT_SNAPSHOTS: s.tableHealth.expireAtSnapshots,
      LAKEHOUSE_MAX_REJECT_RATIO: s.maxRejectRatio,
    }),
  };
}

function definedOnly(values: Record<string, number | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, String(value)]],
    ),
  );
}

/**
 * Runs `python -m lakehouse_loader ingest` on the files: one outcome per file, a failed one
 * for each file the loader reported nothing on (it crashed or was killed).
 */
export function ingestDirect(
  s: Settings,
  files: string[],
  reporter: Reporter,
): Promise<FileOutcome[]> {
  const tools = installedTools(s.paths.cache);
  const paths = files.map((f) => intoRawZone(s, f));
  const done = reporter.step(`Loading ${paths.length} file(s) into iceberg.${s.trino.schema}`);
  return new Promise((resolveAll, reject) => {
    const child = spawn(tools.python, ["-m", "lakehouse_loader", "ingest", ...paths], {
      env: { ...process.env, ...pipelineEnv(s) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const reported: FileOutcome[] = [];
    let buffered = "";
    // Stage lines ("progress: FILE: ...") are shown as they come, with the time taken so
    // far; everything else, and stdout lines that are no outcome, is kept for the error.
    let stderr = "";
    const stdoutLine = (line: string) => {
      if (!line.trim()) return;
      const outcome = parseOutcome(line);
      if (outcome) reported.push(outcome);
      else stderr += `${line}\n`;
    };
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      lines.forEach(stdoutLine);
    });
    const started = Date.now();
    let partial = "";
    child.stderr.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        if (line.startsWith("progress: ")) {
          const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
          reporter.info(dim(`  ${seconds}s  ${line.slice("progress: ".length)}`));
        } else {
          stderr += `${line}\n`;
        }
      }
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      stdoutLine(buffered);
      const sources = paths.map((path) => sourceName(s, path));
      const outcomes = outcomesOf(sources, reported, { code, signal, stderr: stderr + partial });
      const { text, ok } = summarise(outcomes);
      done(text, ok);
      resolveAll(outcomes);
    });
  });
}

/** Every CSV file in the drop zone, as the drop zone's watch lists it (drop-zone.ts). */
export function rawFiles(s: Settings): string[] {
  const raw = join(s.paths.data, "raw");
  return dropZoneListing(raw).map((name) => join(raw, name));
}
