import type { Settings } from "./settings.ts";

const GiB = 1024 ** 3;

/** A JVM heap size as TRINO_HEAP takes it: a whole number of MiB (`M`) or GiB (`G`). */
export const JVM_SIZE = /^(\d+)([mMgG])$/;

/** A JVM size such as 2G or 1536M in MiB. */
export function jvmSizeMiB(size: string): number {
  const match = JVM_SIZE.exec(size);
  if (!match) throw new Error(`not a JVM size such as 2G or 1536M: ${size}`);
  return Number(match[1]) * (match[2]?.toLowerCase() === "g" ? 1024 : 1);
}

/**
 * Trino's heap when TRINO_HEAP is not set: a quarter of the machine's memory, to the
 * nearest GiB (a "16 GB" machine reports about 15.5 GiB), at least 2G and at most 16G.
 * The other three quarters are for what shares the machine: the rest of the stack
 * (Airflow, Superset, PostgreSQL, SeaweedFS and the catalog idle at about 3 GiB together;
 * a load's Celery task takes under 1 GiB more), the page cache that Trino's reads and
 * spill files go through, and the desktop of the laptop it runs on. 2G is what the stack
 * always ran with, enough for its dashboards; past 16G one node of a development stack
 * gains little, as spilling to disk takes the larger working sets.
 * 8 GiB → 2G, 16 GiB → 4G, 24 GiB → 6G, 32 GiB → 8G, 64 GiB and more → 16G.
 */
export function trinoHeapFor(totalMemoryBytes: number): string {
  const quarter = Math.round(totalMemoryBytes / 4 / GiB);
  return `${Math.min(16, Math.max(2, quarter))}G`;
}

/** What services/trino/etc/config.properties is given for a heap, as Trino writes sizes. */
export interface TrinoMemory {
  /** query.max-memory-per-node: user memory one query may hold on a node. */
  queryMaxMemoryPerNode: string;
  /** memory.heap-headroom-per-node: heap kept out of the query pool for untracked allocations. */
  heapHeadroom: string;
  /** query.max-memory: user memory one query may hold across the cluster. */
  queryMaxMemory: string;
}

/**
 * Query memory from the heap. Trino 476 refuses to start unless query.max-memory-per-node
 * plus memory.heap-headroom-per-node fit in the JVM's maximum heap (LocalMemoryManager);
 * its memory pool is the heap less the headroom. Headroom 30% of the heap (Trino's own
 * default: Parquet readers' buffers, plans and other allocations Trino does not track);
 * one query 60% (Trino's default is 30%, for clusters shared by many users; here one big
 * query matters more). That leaves a tenth of the heap unclaimed, and a query that
 * spills holds its hash tables outside this limit, in the pool, until Trino revokes them
 * to disk. query.max-memory is the same as per node: the default stack is one node.
 */
export function trinoMemory(heap: string): TrinoMemory {
  const mib = jvmSizeMiB(heap);
  const perNode = `${Math.floor(mib * 0.6)}MB`;
  return {
    queryMaxMemoryPerNode: perNode,
    heapHeadroom: `${Math.floor(mib * 0.3)}MB`,
    queryMaxMemory: perNode,
  };
}

/**
 * The variables services/trino/etc/config.properties (through ${ENV:...}) and Trino's
 * docker entrypoint (TRINO_HEAP) read for memory and spill: natively in Trino's process
 * environment, in docker mode through docker-compose.yml's Trino environment. The spill
 * directory, which differs between the two, is set by each runtime.
 */
export function trinoMemoryEnv(s: Settings): Record<string, string> {
  const memory = trinoMemory(s.trino.heap);
  return {
    TRINO_HEAP: s.trino.heap,
    TRINO_QUERY_MAX_MEMORY: memory.queryMaxMemory,
    TRINO_QUERY_MAX_MEMORY_PER_NODE: memory.queryMaxMemoryPerNode,
    TRINO_HEAP_HEADROOM: memory.heapHeadroom,
    TRINO_MAX_SPILL_PER_NODE: s.trino.maxSpillPerNode,
  };
}
