import { createServer } from "node:net";
import { isListening } from "../services/wait/index.ts";

/** True when nothing listens on host:port and we could bind it ourselves. */
export async function isPortFree(host: string, port: number): Promise<boolean> {
  if (await isListening(host, port, 500)) return false;
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** What to do about a port another program holds, the same words in both modes and in doctor. */
export function portFix(port: number, setting?: string): string {
  const shows = `(ss -ltnp 'sport = :${port}' shows it)`;
  return setting
    ? `stop the program using it ${shows} or set ${setting} in .env`
    : `stop the program using it ${shows}`;
}

/** The one line for a service whose port is taken. */
export function portTaken(host: string, { service, port, setting }: WantedPort): string {
  return `${service} needs port ${port} on ${host}, which is already in use: ${portFix(port, setting)}`;
}

/** A port a service is to listen on, and the .env setting that moves it (none for fixed ones). */
export interface WantedPort {
  service: string;
  port: number;
  setting?: string;
}

/** The wanted ports another program holds, in the order given. */
export async function takenPorts(host: string, wanted: WantedPort[]): Promise<WantedPort[]> {
  const taken: WantedPort[] = [];
  for (const want of wanted) if (!(await isPortFree(host, want.port))) taken.push(want);
  return taken;
}
