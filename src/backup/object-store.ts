import { createReadStream, createWriteStream, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Slots } from "../clients/slots.ts";

/** Objects copied at once: enough to keep SeaweedFS busy, few enough for a laptop. */
const PARALLEL = 8;

export interface StoredObject {
  key: string;
  size: number;
}

/** Every object of the bucket (none when it does not exist). */
export async function listObjects(s3: S3Client, bucket: string): Promise<StoredObject[]> {
  const objects: StoredObject[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? [])
        if (o.Key !== undefined) objects.push({ key: o.Key, size: o.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchBucket") return [];
    throw error;
  }
  return objects;
}

/** Runs `task` for every item, PARALLEL at a time. */
async function inParallel<T>(items: T[], task: (item: T) => Promise<void>): Promise<void> {
  const slots = new Slots(PARALLEL);
  await Promise.all(items.map((item) => slots.run(() => task(item))));
}

/** Copies every object of `bucket` under `dir` (key = relative path); returns what it copied. */
export async function downloadBucket(
  s3: S3Client,
  bucket: string,
  dir: string,
  progress: (bytes: number) => void,
): Promise<StoredObject[]> {
  const objects = await listObjects(s3, bucket);
  await inParallel(objects, async (o) => {
    const path = join(dir, ...o.key.split("/"));
    mkdirSync(dirname(path), { recursive: true });
    const answer = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.key }));
    await pipeline(answer.Body as Readable, createWriteStream(path));
    progress(o.size);
  });
  return objects;
}

/** The files under `dir` as the objects they were, by key. */
export function filesAsObjects(dir: string): StoredObject[] {
  const found: StoredObject[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else found.push({ key: relative(dir, path).split(sep).join("/"), size: statSync(path).size });
    }
  };
  walk(dir);
  return found;
}

/**
 * Makes `bucket` hold exactly the objects saved under `dir`: objects the backup does not
 * have are deleted, the others uploaded, except those already there at the same size
 * (data and metadata files are never rewritten under the same name, so same key and size
 * is the same file).
 */
export async function replaceBucket(
  s3: S3Client,
  bucket: string,
  dir: string,
  progress: (bytes: number) => void,
): Promise<{ uploaded: number; deleted: number; kept: number }> {
  await ensureBucket(s3, bucket);
  const wanted = filesAsObjects(dir);
  const present = new Map((await listObjects(s3, bucket)).map((o) => [o.key, o.size]));
  const wantedKeys = new Set(wanted.map((o) => o.key));
  const extra = [...present.keys()].filter((key) => !wantedKeys.has(key));
  for (let i = 0; i < extra.length; i += 1000) {
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: extra.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true },
      }),
    );
  }
  const missing = wanted.filter((o) => present.get(o.key) !== o.size);
  await inParallel(missing, async (o) => {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: o.key,
        Body: createReadStream(join(dir, ...o.key.split("/"))),
        ContentLength: o.size,
      }),
    );
    progress(o.size);
  });
  return { uploaded: missing.length, deleted: extra.length, kept: wanted.length - missing.length };
}

async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}
