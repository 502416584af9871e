import type { Settings } from "../../config/settings.ts";
import type { InstalledTools } from "../../install/installer.ts";
import { airflowProcesses } from "./airflow.ts";
import { icebergRestProcess } from "./iceberg-rest.ts";
import { postgresProcess } from "./postgres.ts";
import type { ProcessSpec } from "./process-spec.ts";
import { seaweedfsProcesses } from "./seaweedfs.ts";
import { supersetProcess } from "./superset.ts";
import { trinoProcess } from "./trino.ts";
import { valkeyProcess } from "./valkey.ts";

/** How native mode runs each service of the catalogue. */
export function nativeProcesses(s: Settings, tools: InstalledTools): Record<string, ProcessSpec> {
  return {
    postgres: postgresProcess(s, tools),
    valkey: valkeyProcess(s, tools),
    ...seaweedfsProcesses(s, tools),
    "iceberg-rest": icebergRestProcess(s, tools),
    trino: trinoProcess(s, tools),
    ...airflowProcesses(s, tools),
    superset: supersetProcess(s, tools),
  };
}

/** Signals that stop a service cleanly and promptly; SIGTERM for the rest. */
export const STOP_SIGNALS: Record<string, NodeJS.Signals> = {
  // SIGTERM would be PostgreSQL's "smart" shutdown, which waits for every client to leave.
  postgres: "SIGINT",
};
