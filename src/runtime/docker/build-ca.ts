import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Settings } from "../../config/settings.ts";

/** Where Debian and Ubuntu keep the CA certificates an administrator added. */
const HOST_ADDED_CAS = "/usr/local/share/ca-certificates";

/**
 * Image builds download over HTTPS; behind a proxy that intercepts it they must trust the
 * proxy's CA, as this host does. Copies the host's added CA certificates into
 * docker/build-ca/, which every Dockerfile installs first (docker/build-ca/README.md).
 * Returns the names copied.
 */
export function stageBuildCertificates(s: Settings, source = HOST_ADDED_CAS): string[] {
  if (!existsSync(source)) return [];
  const target = join(s.paths.root, "docker", "build-ca");
  mkdirSync(target, { recursive: true });
  const names = readdirSync(source).filter((name) => name.endsWith(".crt"));
  for (const name of names) copyFileSync(join(source, name), join(target, name));
  return names;
}
