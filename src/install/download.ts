import { createHash } from "node:crypto";
import { createWriteStream, renameSync, rmSync } from "node:fs";
import type { Reporter } from "../cli/reporter.ts";

/**
 * Downloads `url` to `dest`, showing progress, and checks it against the SHA-1 that
 * Maven Central publishes beside every file. Writes to a temporary name first, so an
 * interrupted download never looks complete.
 */
export async function downloadVerified(
  url: string,
  dest: string,
  reporter: Reporter,
): Promise<void> {
  const expected = (await fetchText(`${url}.sha1`)).trim().split(/\s+/)[0]?.toLowerCase();
  const response = await fetch(url);
  if (!response.ok || !response.body) {
    throw new Error(`Download failed: ${url} answered HTTP ${response.status}`);
  }
  const total = Number(response.headers.get("content-length")) || undefined;
  const label = url.split("/").pop() ?? url;
  const partial = `${dest}.partial`;
  const out = createWriteStream(partial);
  const hash = createHash("sha1");
  let done = 0;
  try {
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      done += chunk.length;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
      reporter.progress(label, done, total);
    }
    await new Promise<void>((resolve, reject) =>
      out.end((e?: Error | null) => (e ? reject(e) : resolve())),
    );
  } catch (error) {
    out.destroy();
    rmSync(partial, { force: true });
    throw error;
  }
  const actual = hash.digest("hex");
  if (expected && actual !== expected) {
    rmSync(partial, { force: true });
    throw new Error(
      `Checksum mismatch for ${url}: expected ${expected}, got ${actual}. Run again.`,
    );
  }
  renameSync(partial, dest);
}

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Download failed: ${url} answered HTTP ${response.status}`);
  return response.text();
}
