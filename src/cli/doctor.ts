import type { Settings } from "../config/settings.ts";
import { isInstalled } from "../install/component.ts";
import { seaweedfs } from "../install/components.ts";
import {
  checkDisk,
  checkGo,
  checkJava,
  checkMemory,
  checkPostgres,
  checkPython,
  checkValkey,
  type Finding,
} from "../install/prerequisites.ts";
import { projectServices } from "../runtime/docker/compose.ts";
import type { NativeRuntime } from "../runtime/native/native-runtime.ts";
import { isPortFree, portFix } from "../runtime/ports.ts";
import { CATALOGUE } from "../services/catalogue.ts";
import { green, red, yellow } from "./reporter.ts";

/** Preflight: every check with what was seen and, when it fails, what to do. */
export async function runDoctor(
  s: Settings,
  runtime: NativeRuntime,
  docker: boolean,
): Promise<number> {
  // Go only builds weed once; with weed installed it is not needed.
  const go = isInstalled(s.paths.cache, seaweedfs)
    ? { ...checkGo(), severity: "warning" as const }
    : checkGo();
  // What only native mode runs on the host: with an engine answering, `up` needs none of
  // it, so a gap there is a warning, not a problem to fix.
  const native = [checkJava(), go, checkPostgres(), checkValkey(), checkPython()].map((f) =>
    docker && !f.ok
      ? { ...f, severity: "warning" as const, detail: `${f.detail} (needed by native mode only)` }
      : f,
  );
  const findings: Finding[] = [
    ...native,
    checkMemory(),
    checkDisk(s.paths.cache, 3, "install cache"),
    checkDisk(s.paths.state, 5, "data"),
    {
      name: "Docker engine",
      ok: true,
      detail: docker
        ? "answers: `up` will use docker mode"
        : "none answers: `up` will use native mode",
      severity: "warning",
    },
  ];
  const containers = docker ? projectServices(s, false) : new Set<string>();
  for (const service of CATALOGUE) {
    const running =
      runtime.supervisor.runningPid(service.name) !== undefined || containers.has(service.name);
    for (const port of service.ports) {
      const number = s.ports[port.setting];
      const free = running || (await isPortFree(s.bindHost, number));
      findings.push({
        name: `Port ${number} (${service.name})`,
        ok: free,
        detail: running
          ? "used by our running service"
          : free
            ? "free"
            : "in use by another program",
        fix: free ? undefined : portFix(number, port.setting),
        severity: "error",
      });
    }
  }
  for (const f of findings) {
    const mark = f.ok ? green("✓") : f.severity === "warning" ? yellow("!") : red("✗");
    process.stdout.write(`${mark} ${f.name}: ${f.detail}\n`);
    if (!f.ok && f.fix) process.stdout.write(`    fix: ${f.fix}\n`);
  }
  const errors = findings.filter((f) => !f.ok && f.severity === "error");
  process.stdout.write(
    errors.length ? `\n${errors.length} problem(s) to fix.\n` : "\nAll checks passed.\n",
  );
  return errors.length ? 1 : 0;
}
