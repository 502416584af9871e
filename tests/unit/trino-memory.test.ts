import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadSettings, type Settings } from "../../src/config/settings.ts";
import {
  jvmSizeMiB,
  trinoHeapFor,
  trinoMemory,
  trinoMemoryEnv,
} from "../../src/config/trino-memory.ts";
import type { InstalledTools } from "../../src/install/installer.ts";
import { composeEnv } from "../../src/runtime/docker/compose.ts";
import { trinoProcess } from "../../src/runtime/native/trino.ts";
import { interpolate, mounts, readRepoFile } from "./compose/compose-file.ts";
import { service, trinoEtcFiles } from "./compose/context.ts";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** A size as Trino writes it (airlift's DataSize, powers of 1024) in bytes. */
function trinoBytes(size: string): number {
  const match = /^(\d+)(MB|GB)$/.exec(size);
  expect(match, size).not.toBeNull();
  return Number(match?.[1]) * (match?.[2] === "GB" ? GiB : MiB);
}

/**
 * Trino 476's LocalMemoryManager: query.max-memory-per-node plus
 * memory.heap-headroom-per-node must fit in the heap (Runtime.maxMemory(), -Xmx), or it
 * refuses to start. And what a query may hold must fit in the pool (heap less headroom).
 */
function expectTrinoAccepts(heap: string) {
  const m = trinoMemory(heap);
  const heapBytes = jvmSizeMiB(heap) * MiB;
  const perNode = trinoBytes(m.queryMaxMemoryPerNode);
  const headroom = trinoBytes(m.heapHeadroom);
  expect(perNode + headroom, heap).toBeLessThanOrEqual(heapBytes);
  expect(perNode, heap).toBeLessThanOrEqual(heapBytes - headroom);
  expect(headroom, heap).toBeGreaterThan(0);
  expect(trinoBytes(m.queryMaxMemory), heap).toBeGreaterThanOrEqual(perNode);
}

function tempEnv(dotenv = "", extra: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "lakehouse-trino-memory-"));
  writeFileSync(join(dir, ".env"), dotenv);
  return {
    LAKEHOUSE_ENV_FILE: join(dir, ".env"),
    LAKEHOUSE_HOME: join(dir, "state"),
    ...extra,
  };
}

const tools = { java: "/jdk/bin/java", trinoHome: "/opt/trino" } as InstalledTools;

describe("Trino's heap from the machine", () => {
  it("is a quarter of its memory, between 2G and 16G", () => {
    const machines: [number, string][] = [
      [4 * GiB, "2G"],
      [7.7 * GiB, "2G"], // what an "8 GB" machine reports
      [15.5 * GiB, "4G"],
      [23.4 * GiB, "6G"],
      [31.3 * GiB, "8G"],
      [64 * GiB, "16G"],
      [256 * GiB, "16G"],
    ];
    for (const [bytes, heap] of machines)
      expect(trinoHeapFor(bytes), `${bytes / GiB} GiB`).toBe(heap);
  });

  it("takes a quarter, to within half a GiB, between 8 and 64 GiB", () => {
    for (const gib of [8, 9.5, 12, 14, 15.5, 24, 30, 48, 63.9]) {
      const heap = jvmSizeMiB(trinoHeapFor(gib * GiB)) * MiB;
      expect(Math.abs(heap - (gib * GiB) / 4), `${gib} GiB`).toBeLessThanOrEqual(GiB / 2);
    }
  });

  it("is what settings use unless TRINO_HEAP is set, in .env or the environment", () => {
    const totalMemory = 31.3 * GiB;
    expect(loadSettings({ env: tempEnv(), totalMemory }).trino.heap).toBe("8G");
    expect(loadSettings({ env: tempEnv("TRINO_HEAP=3G\n"), totalMemory }).trino.heap).toBe("3G");
    expect(
      loadSettings({ env: tempEnv("TRINO_HEAP=3G\n", { TRINO_HEAP: "1536M" }), totalMemory }).trino
        .heap,
    ).toBe("1536M");
    expect(() => loadSettings({ env: tempEnv("TRINO_HEAP=2GB\n") })).toThrow(/TRINO_HEAP/);
  });
});

describe("Trino's query memory from the heap", () => {
  it("gives one query 60% and keeps 30% as headroom", () => {
    expect(trinoMemory("2G")).toEqual({
      queryMaxMemoryPerNode: "1228MB",
      heapHeadroom: "614MB",
      queryMaxMemory: "1228MB",
    });
    expect(trinoMemory("8G")).toEqual({
      queryMaxMemoryPerNode: "4915MB",
      heapHeadroom: "2457MB",
      queryMaxMemory: "4915MB",
    });
    expect(trinoMemory("1536M").queryMaxMemoryPerNode).toBe("921MB");
  });

  it("fits Trino's rule for every machine-sized heap and for heaps set by hand", () => {
    for (let gib = 1; gib <= 1024; gib *= 2) expectTrinoAccepts(trinoHeapFor(gib * GiB));
    for (const heap of ["512M", "1536M", "1G", "3G", "5G", "24G", "64g", "1000m"])
      expectTrinoAccepts(heap);
  });
});

describe("both runtimes give Trino the same memory and spill settings", () => {
  const settings = (dotenv = "") => loadSettings({ env: tempEnv(dotenv), totalMemory: 23.4 * GiB });
  const TRINO_ETC = trinoEtcFiles();
  const placeholders = [
    ...new Set(
      TRINO_ETC.flatMap((f) =>
        [...readRepoFile(f).matchAll(/\$\{ENV:([A-Z0-9_]+)\}/g)].map((m) => m[1] ?? ""),
      ),
    ),
  ];
  /** A Trino container's environment as Compose interpolates it from `env`. */
  const interpolated = (env: Record<string, string | undefined>, name = "trino") =>
    Object.fromEntries(
      Object.entries(service(name).environment ?? {}).map(([k, v]) => [
        k,
        interpolate(String(v), env),
      ]),
    );
  /** ... when ./lakehouse runs Compose with these settings. */
  const composed = (s: Settings, name = "trino") => interpolated(composeEnv(s), name);

  it("reads memory and spill settings from the environment", () => {
    for (const name of [
      "TRINO_QUERY_MAX_MEMORY",
      "TRINO_QUERY_MAX_MEMORY_PER_NODE",
      "TRINO_HEAP_HEADROOM",
      "TRINO_MAX_SPILL_PER_NODE",
      "TRINO_SPILL_PATH",
    ])
      expect(placeholders).toContain(name);
    const config = readRepoFile("services/trino/etc/config.properties");
    expect(config).toMatch(/^spill-enabled=true$/m);
    expect(config).toMatch(/^spiller-spill-path=\$\{ENV:TRINO_SPILL_PATH\}$/m);
  });

  it("natively: every placeholder set, the heap on -Xmx, spill in Trino's state directory", () => {
    const s = settings();
    const spec = trinoProcess(s, tools);
    for (const name of placeholders) expect(spec.env?.[name], name).toBeDefined();
    expect(spec.env).toMatchObject(trinoMemoryEnv(s));
    expect(spec.args).toContain("-Xmx6G");
    expect(spec.env?.TRINO_SPILL_PATH).toBe(join(s.paths.state, "trino", "spill"));
  });

  it("in docker mode: the same values, sized by the CLI on the same machine or set in .env", () => {
    for (const s of [settings(), settings("TRINO_HEAP=3G\nTRINO_MAX_SPILL_PER_NODE=5GB\n")]) {
      const native = trinoProcess(s, tools).env ?? {};
      for (const name of ["trino", "trino-worker"]) {
        const env = composed(s, name);
        for (const variable of Object.keys(trinoMemoryEnv(s)))
          expect(env[variable], `${name}: ${variable}`).toBe(native[variable]);
      }
    }
    expect(composed(settings()).TRINO_HEAP).toBe("6G");
  });

  it("in a bare `docker compose`, defaults that are the function's for the default heap", () => {
    const env = interpolated({});
    const s = { trino: { heap: env.TRINO_HEAP, maxSpillPerNode: "20GB" } } as Settings;
    expect(env).toMatchObject(trinoMemoryEnv(s));
    expect(loadSettings({ env: tempEnv() }).trino.maxSpillPerNode).toBe("20GB");
  });

  it("spills to a volume in docker mode, not the container's writable layer", () => {
    for (const name of ["trino", "trino-worker"]) {
      const path = service(name).environment?.TRINO_SPILL_PATH;
      const volume = mounts(service(name)).find((m) => m.target === path);
      expect(volume?.kind, `${name}: ${path}`).toMatch(/^(named|anonymous)$/);
      expect(volume?.readOnly, name).toBe(false);
    }
    // The coordinator's is named (kept, reused); each worker has its own anonymous one.
    expect(mounts(service("trino")).find((m) => m.source === "trino-spill")?.target).toBe(
      "/var/lib/trino/spill",
    );
    // The image makes the directory trino's, so a new volume on it is trino's too.
    expect(readRepoFile("docker/trino/Dockerfile")).toMatch(
      /install -d -o trino -g trino \/var\/lib\/trino\/spill/,
    );
  });
});
