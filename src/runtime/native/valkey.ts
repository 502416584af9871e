import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Settings } from "../../config/settings.ts";
import type { InstalledTools } from "../../install/installer.ts";
import type { ProcessSpec } from "./process-spec.ts";

/**
 * Valkey (or Redis) with the shared services/valkey/valkey.conf. The password goes in a
 * private include file rather than on the command line, where `ps` would show it.
 */
export function valkeyProcess(s: Settings, tools: InstalledTools): ProcessSpec {
  const home = join(s.paths.state, "valkey");
  const auth = join(home, "auth.conf");
  return {
    command: tools.valkeyServer,
    args: [
      join(s.paths.root, "services", "valkey", "valkey.conf"),
      "--bind",
      s.bindHost,
      "--port",
      String(s.ports.VALKEY_PORT),
      "--dir",
      home,
      "--include",
      auth,
    ],
    async prepare() {
      mkdirSync(home, { recursive: true, mode: 0o700 });
      writeFileSync(auth, `requirepass ${s.valkey.password.reveal()}\n`, { mode: 0o600 });
    },
  };
}
