import { execFile } from "node:child_process";
import { promisify } from "node:util";

const exec = promisify(execFile);

/**
 * Runs a setup command (a database migration, say) and resolves with its stdout. On
 * failure the error says what failed and ends with the end of its stderr: a Python
 * traceback ends with what went wrong, so the end is kept, not the whole stack.
 */
export async function runSetupCommand(
  what: string,
  command: string,
  args: string[],
  options: { env: Record<string, string>; cwd: string },
): Promise<string> {
  try {
    const { stdout } = await exec(command, args, {
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? (error as Error).message);
    const end = stderr.trimEnd().split("\n").slice(-8).join("\n");
    throw new Error(`${what} failed:\n${end}`);
  }
}
