import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Reporter } from "../cli/reporter.ts";
import { UserError } from "../cli/user-error.ts";
import { s3Client } from "../clients/s3.ts";
import { parseDotenv } from "../config/dotenv.ts";
import type { Settings } from "../config/settings.ts";
import { compose } from "../runtime/docker/compose.ts";
import { startContainers } from "../runtime/docker/docker-runtime.ts";
import { NativeRuntime } from "../runtime/native/native-runtime.ts";
import { CATALOGUE } from "../services/catalogue.ts";
import {
  type BackupManifest,
  databasesDir,
  ENV_COPY,
  MANIFEST,
  mib,
  objectsDir,
} from "./backup.ts";
import { replaceBucket } from "./object-store.ts";
import { postgresTools } from "./postgres-tools.ts";

/** The services a restore writes into; everything else is stopped while it does. */
const STORAGE = CATALOGUE.filter((x) => x.name === "postgres" || x.name.startsWith("seaweedfs-"));

/**
 * Brings the platform back to a backup: with every other service stopped, each database
 * is dropped and recreated from its dump, and each bucket made to hold exactly the
 * backup's objects; then the whole stack starts again. Files in data/raw/ that the backup
 * had not loaded are loaded again by the schedule, as any new file is.
 */
export async function restoreBackup(
  s: Settings,
  mode: "native" | "docker",
  source: string,
  reporter: Reporter,
): Promise<BackupManifest> {
  const dir = resolve(source);
  const manifest = readManifest(dir);
  assertSameSecrets(s, dir);
  const started = Date.now();
  await onlyStorage(s, mode, reporter);

  const pg = postgresTools(s, mode);
  for (const name of manifest.databases) {
    const done = reporter.step(`Restoring database ${name}`);
    await pg.run("psql", [
      ...["--dbname", "postgres", "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", "--command"],
      `DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`,
    ]);
    await pg.run(
      "pg_restore",
      ["--create", "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", "postgres"],
      { stdin: join(databasesDir(dir), `${name}.dump`) },
    );
    done();
  }
  for (const bucket of manifest.buckets) {
    const done = reporter.step(`Restoring s3://${bucket.name}`);
    let bytes = 0;
    const result = await replaceBucket(
      s3Client(s),
      bucket.name,
      objectsDir(dir, bucket.name),
      (n) => {
        bytes += n;
        reporter.progress(`s3://${bucket.name}`, bytes, bucket.bytes);
      },
    );
    done(
      `${result.uploaded} uploaded (${mib(bytes)}), ${result.kept} already there, ${result.deleted} deleted`,
    );
  }
  reporter.info(
    `Restored in ${((Date.now() - started) / 1000).toFixed(1)} s; starting the platform:`,
  );
  if (mode === "native") await new NativeRuntime(s, reporter).up();
  else await startContainers(s, reporter);
  return manifest;
}

function readManifest(dir: string): BackupManifest {
  const path = join(dir, MANIFEST);
  if (!existsSync(path))
    throw new UserError(
      `${dir} holds no backup (no ${MANIFEST}); take one with ./lakehouse backup DIR`,
    );
  const manifest = JSON.parse(readFileSync(path, "utf8")) as BackupManifest;
  if (manifest.format !== 1)
    throw new UserError(`${path}: backup format ${manifest.format} is not one this version reads`);
  return manifest;
}

/**
 * The databases hold the passwords and keys of the .env the backup was taken with
 * (Superset encrypts its connections with its secret key): a restore under other secrets
 * would start a platform that cannot log in to itself.
 */
function assertSameSecrets(s: Settings, dir: string): void {
  const secret = (key: string) => /(PASSWORD|SECRET|_KEY)$/.test(key);
  const theirs = parseDotenv(readFileSync(join(dir, ENV_COPY), "utf8"));
  const ours = existsSync(s.paths.envFile)
    ? parseDotenv(readFileSync(s.paths.envFile, "utf8"))
    : {};
  const differ = Object.keys(theirs).filter((k) => secret(k) && theirs[k] !== ours[k]);
  if (differ.length > 0)
    throw new UserError(
      `this install's ${s.paths.envFile} has other secrets than the backup (${differ.join(", ")}). ` +
        `Restore its .env first: cp ${join(dir, ENV_COPY)} ${s.paths.envFile}`,
    );
}

/** Stops every service, then starts PostgreSQL and SeaweedFS alone (created if reset). */
async function onlyStorage(
  s: Settings,
  mode: "native" | "docker",
  reporter: Reporter,
): Promise<void> {
  const done = reporter.step("Stopping the platform but its storage");
  if (mode === "native") {
    await new NativeRuntime(s, reporter).down();
    await new NativeRuntime(s, reporter, STORAGE).up();
  } else {
    const stopped = await compose(s, "--profile", "scale", "stop");
    const started = await compose(s, "up", "--detach", "--wait", ...STORAGE.map((x) => x.name));
    if (stopped !== 0 || started !== 0)
      throw new UserError(
        "docker compose could not start the storage services; see the lines above",
      );
  }
  done();
}
