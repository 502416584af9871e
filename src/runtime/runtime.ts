/** What `lakehouse status` shows for one service. */
export interface ServiceStatus {
  service: string;
  state: "running" | "stopped" | "exited";
  health: "healthy" | "unhealthy" | "-";
  /** Why it is unhealthy, when it is. */
  detail?: string;
  pid?: number;
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
