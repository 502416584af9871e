/**
 * What the ingest benchmark reads from and removes in the running stack: row counts in
 * Trino, and its tables and objects, dropped and deleted so the stack is left as it was.
 */
import { DeleteObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { trinoClient } from "../src/bootstrap/bootstrap.ts";
import { s3Client } from "../src/clients/s3.ts";
import type { TrinoClient } from "../src/clients/trino.ts";
import type { Settings } from "../src/config/settings.ts";
import { rawPrefix, rejectsPrefix, rejectsTable } from "../src/pipeline/conventions.ts";

export class BenchStack {
  private readonly trino: TrinoClient;
  private readonly s3: S3Client;
  private readonly locations = new Set<string>();

  constructor(private readonly settings: Settings) {
    this.trino = trinoClient(settings);
    this.s3 = s3Client(settings);
  }

  private name(table: string): string {
    return `iceberg.${this.settings.trino.schema}.${table}`;
  }

  async count(table: string): Promise<number | undefined> {
    return (await this.trino.query<[number]>(`SELECT count(*) FROM ${this.name(table)}`))
      .rows[0]?.[0];
  }

  async dropTable(table: string): Promise<void> {
    await this.trino.query(`DROP TABLE IF EXISTS ${this.name(table)}`);
  }

  /** A table the loader loaded: it and its rejects table dropped, and its objects in the raw
   * zone (raw/<table>/, rejects/<table>/) deleted. */
  async removeLoad(table: string): Promise<void> {
    await this.dropTable(table);
    await this.dropTable(rejectsTable(table));
    for (const prefix of [rawPrefix(table), rejectsPrefix(table)])
      await this.deleteObjects(this.settings.s3.bucket, prefix);
  }

  /** A table location (s3://bucket/path) whose objects removeLocations deletes. */
  addLocation(location: string): void {
    this.locations.add(location);
  }

  /** Deletes what is left in the locations added: what a table's purge did not delete. */
  async removeLocations(): Promise<void> {
    for (const location of this.locations) {
      const url = new URL(location);
      if (!url.protocol.startsWith("s3")) continue;
      await this.deleteObjects(url.host, `${url.pathname.replace(/^\/+|\/+$/g, "")}/`);
    }
    this.locations.clear();
  }

  private async deleteObjects(bucket: string, prefix: string): Promise<void> {
    let token: string | undefined;
    do {
      const listed = await this.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of listed.Contents ?? [])
        await this.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
      token = listed.NextContinuationToken;
    } while (token);
  }

  destroy(): void {
    this.s3.destroy();
  }
}
