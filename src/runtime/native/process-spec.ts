/** How native mode runs one service as a local process. */
export interface ProcessSpec {
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Run as this OS user when we are root (PostgreSQL refuses to run as root). */
  user?: string;
  /** One-time preparation before the first start, e.g. initdb; must be idempotent. */
  prepare?(): Promise<void>;
  /** Runs once the service is ready, on every start, e.g. creating databases; idempotent. */
  afterReady?(): Promise<void>;
  /** Ports it opens besides the catalogue's (e.g. gRPC), checked before start like those. */
  extraPorts?: number[];
}
