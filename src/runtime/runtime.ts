/** What `lakehouse status` shows for one service. */
export interface ServiceStatus {
  service: string;
  /** restarting: it exited and its restart policy starts it again; failed: given up on. */
  state: "running" | "stopped" | "exited" | "restarting" | "failed";
  health: "healthy" | "unhealthy" | "-";
  /** Why it is unhealthy, when it is. */
  detail?: string;
  pid?: number;
  /** Times it was started again after exiting unasked, since it was last started by us. */
  restarts?: number;
  /** How it last exited unasked, e.g. "was killed by SIGKILL at 12:03:11". */
  lastExit?: string;
  url?: string;
  logPath: string;
}

/** A service that could not be brought up, with where to look. */
export class ServiceStartError extends Error {
  constructor(
    readonly service: string,
    message: string,
    readonly logPath?: string,
    readonly logTail?: string,
  ) {
    super(message);
  }
}

/** The time of day of an ISO timestamp, in local time, as `lastExit` shows it: "12:03:11". */
export function clockTime(iso: string | undefined): string {
  const date = new Date(iso ?? "");
  return Number.isNaN(date.getTime()) ? "?" : date.toLocaleTimeString("en-GB");
}
