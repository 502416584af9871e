/**
 * How much memory the stack holds, the way each runtime can tell: natively the RSS and PSS
 * of every process in each service's process group (a service's keeper starts it as a
 * group leader, so its children count too); in docker mode each container's memory as
 * `docker stats` counts it (the cgroup's, less page cache).
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** kB of RSS and PSS for every process whose process group is `pgid`. */
export function groupMemory(pgid: number): { rss: number; pss: number } {
  let rss = 0;
  let pss = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue;
      const rollup = readFileSync(`/proc/${entry}/smaps_rollup`, "utf8");
      rss += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      pss += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    } catch {
      // The process ended while we looked.
    }
  }
  return { rss, pss };
}

/** MiB of memory per container whose name starts with `prefix`, as `docker stats` counts it. */
export function containerMemory(prefix: string): Map<string, number> {
  const out = execFileSync(
    "docker",
    ["stats", "--no-stream", "--format", "{{.Name}}\t{{.MemUsage}}"],
    { encoding: "utf8" },
  );
  const units: Record<string, number> = { KiB: 1 / 1024, MiB: 1, GiB: 1024, B: 1 / 1048576 };
  const memory = new Map<string, number>();
  for (const line of out.trim().split("\n")) {
    const [name = "", usage = ""] = line.split("\t");
    const match = /^([\d.]+)(KiB|MiB|GiB|B)/.exec(usage);
    if (name.startsWith(prefix) && match)
      memory.set(name, Number(match[1]) * (units[match[2] as string] ?? 1));
  }
  return memory;
}

/**
 * A function giving the MiB the stack holds now: natively the RSS of each service's
 * process group (the pids of `lakehouse status --json`; in docker mode none has a pid),
 * else every container's memory.
 */
export function stackMemorySampler(statuses: { pid?: number }[]): () => number {
  const pids = statuses.flatMap((s) => (s.pid ? [s.pid] : []));
  return pids.length > 0
    ? () => pids.reduce((sum, pid) => sum + groupMemory(pid).rss, 0) / 1024
    : () => [...containerMemory("lakehouse-").values()].reduce((a, b) => a + b, 0);
}
