import type { ServiceStatus } from "../runtime/runtime.ts";
import { dim, green, red, yellow } from "./reporter.ts";

function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - text.length));
}

/** Prints `lakehouse status` as an aligned table. */
export function printStatusTable(
  statuses: ServiceStatus[],
  out: NodeJS.WritableStream = process.stdout,
): void {
  const headers = ["SERVICE", "STATE", "HEALTH", "RESTARTS", "URL", "LOG"];
  const rows = statuses.map((s) => [
    s.service,
    s.state,
    s.health,
    s.restarts === undefined ? "-" : String(s.restarts),
    s.url ?? "",
    s.logPath,
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  out.write(`${headers.map((h, i) => pad(h, widths[i] ?? 0)).join("  ")}\n`);
  for (const [i, row] of rows.entries()) {
    const status = statuses[i] as ServiceStatus;
    const paint =
      status.health === "healthy"
        ? green
        : status.state === "stopped"
          ? dim
          : status.health === "unhealthy" || status.state === "failed"
            ? red
            : yellow;
    const line = row.map((cell, j) => pad(cell, widths[j] ?? 0)).join("  ");
    out.write(`${paint(line)}\n`);
    if (status.detail) out.write(`${dim(`    ${status.detail}`)}\n`);
    else if (status.lastExit) out.write(`${dim(`    last exit: ${status.lastExit}`)}\n`);
  }
}

/** Prints rows (the first is the header) as aligned columns. */
export function printTable(rows: string[][], out: NodeJS.WritableStream = process.stdout): void {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  for (const row of rows)
    out.write(
      `${row
        .map((cell, i) => pad(cell, widths[i] ?? 0))
        .join("  ")
        .trimEnd()}\n`,
    );
}
