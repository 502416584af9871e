import { createServer } from "node:net";
import { isListening } from "../../services/wait/index.ts";

/** True when nothing listens on host:port and we could bind it ourselves. */
export async function isPortFree(host: string, port: number): Promise<boolean> {
  if (await isListening(host, port, 500)) return false;
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
