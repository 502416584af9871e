import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Settings } from "../../config/settings.ts";
import { trinoMemoryEnv } from "../../config/trino-memory.ts";
import type { InstalledTools } from "../../install/installer.ts";
import { hostAddress, httpUrl } from "../../services/addresses.ts";
import type { ProcessSpec } from "./process-spec.ts";

/**
 * JVM options from the shared services/trino/etc/jvm.config, with the heap from
 * settings. JDK 25 refuses -XX:GCLockerRetryAllocationCount, so it is dropped if present.
 */
export function trinoJvmOptions(jvmConfig: string, heap: string): string[] {
  return jvmConfig
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .filter((line) => !line.startsWith("-XX:GCLockerRetryAllocationCount"))
    .map((line) => (line.startsWith("-Xmx") ? `-Xmx${heap}` : line));
}

/**
 * Trino run directly with java rather than bin/launcher: every path is explicit, nothing
 * is written to the working directory, and logs go to stdout (our log file). Query memory
 * follows the heap and spilled query data goes to spill/ in its state directory (Trino
 * creates it, and deletes what a previous run left there).
 */
export function trinoProcess(s: Settings, tools: InstalledTools): ProcessSpec {
  const etc = join(s.paths.root, "services", "trino", "etc");
  const data = join(s.paths.state, "trino");
  const jvm = trinoJvmOptions(readFileSync(join(etc, "jvm.config"), "utf8"), s.trino.heap);
  return {
    command: tools.java,
    args: [
      "-cp",
      join(tools.trinoHome, "lib", "*"),
      ...jvm,
      "-Dnode.id=lakehouse-trino-1",
      `-Dnode.data-dir=${data}`,
      `-Dconfig=${join(etc, "config.properties")}`,
      `-Dlog.levels-file=${join(etc, "log.properties")}`,
      `-Dplugin.dir=${join(tools.trinoHome, "plugin")}`,
      `-Dcatalog.config-dir=${join(etc, "catalog")}`,
      `-Dhttp-server.log.path=${join(data, "var", "log", "http-request.log")}`,
      "io.trino.server.TrinoServer",
    ],
    env: {
      ...trinoMemoryEnv(s),
      TRINO_SPILL_PATH: join(data, "spill"),
      TRINO_HTTP_PORT: String(s.ports.TRINO_PORT),
      TRINO_BIND_IP: s.bindHost,
      TRINO_INTERNAL_ADDRESS: hostAddress(s),
      ICEBERG_REST_URI: httpUrl(s, "iceberg-rest"),
      S3_ENDPOINT: httpUrl(s, "seaweedfs-s3"),
      S3_REGION: s.s3.region,
      S3_ACCESS_KEY: s.s3.accessKey.reveal(),
      S3_SECRET_KEY: s.s3.secretKey.reveal(),
    },
    cwd: data,
    async prepare() {
      mkdirSync(join(data, "var", "log"), { recursive: true });
    },
  };
}
