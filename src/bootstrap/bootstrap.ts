import { CreateBucketCommand, HeadBucketCommand } from "@aws-sdk/client-s3";
import type { Reporter } from "../cli/reporter.ts";
import { s3Client } from "../clients/s3.ts";
import { quoteIdentifier, TrinoClient } from "../clients/trino.ts";
import type { Settings } from "../config/settings.ts";
import { httpUrl } from "../services/addresses.ts";

export function trinoClient(s: Settings): TrinoClient {
  return new TrinoClient(httpUrl(s, "trino"), {
    catalog: s.trino.catalog,
    schema: s.trino.schema,
  });
}

/**
 * Creates what the pipeline expects, idempotently: the raw-zone and warehouse buckets
 * (never deleted or emptied here) and the `iceberg.<schema>` schema.
 */
export async function bootstrap(s: Settings, reporter: Reporter): Promise<void> {
  const done = reporter.step("Creating buckets and schema");
  const s3 = s3Client(s);
  const created: string[] = [];
  try {
    for (const bucket of [s.s3.bucket, s.s3.warehouseBucket]) {
      try {
        await s3.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch {
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
        created.push(`s3://${bucket}`);
      }
    }
  } finally {
    s3.destroy();
  }
  const schema = `${quoteIdentifier(s.trino.catalog)}.${quoteIdentifier(s.trino.schema)}`;
  const before = await trinoClient(s).query<[string]>(
    `SHOW SCHEMAS FROM ${quoteIdentifier(s.trino.catalog)}`,
  );
  if (!before.rows.some(([name]) => name === s.trino.schema)) {
    await trinoClient(s).query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    created.push(`${s.trino.catalog}.${s.trino.schema}`);
  }
  done(created.length ? `created ${created.join(", ")}` : "already there");
}
