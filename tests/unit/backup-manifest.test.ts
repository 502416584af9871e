import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { localCopy, parseCatalogTables } from "../../src/backup/backup.ts";

describe("backup: the catalog's tables read from its dump", () => {
  // As `pg_restore --data-only --table=iceberg_tables --file=-` prints the JDBC catalog's table.
  const sql = [
    "SET statement_timeout = 0;",
    "COPY public.iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location, iceberg_type) FROM stdin;",
    "rest\tlakehouse\tsales\ts3://lakehouse-warehouse/lakehouse/sales/metadata/00002-a.metadata.json\ts3://lakehouse-warehouse/lakehouse/sales/metadata/00001-b.metadata.json\tTABLE",
    "rest\tlakehouse\tview_x\t\\N\t\\N\tVIEW",
    "\\.",
    "",
  ].join("\n");

  it("gives each table with the metadata file the catalog pointed at", () => {
    expect(parseCatalogTables(sql)).toEqual([
      {
        name: "lakehouse.sales",
        metadataLocation: "s3://lakehouse-warehouse/lakehouse/sales/metadata/00002-a.metadata.json",
      },
    ]);
  });

  it("finds no table in a catalog that has none", () => {
    expect(parseCatalogTables("SET statement_timeout = 0;\n")).toEqual([]);
  });

  it("maps an s3:// location into the backup folder", () => {
    expect(localCopy("/b", "s3://wh/lakehouse/t/metadata/m.json")).toBe(
      join("/b", "objects", "wh", "lakehouse", "t", "metadata", "m.json"),
    );
    expect(() => localCopy("/b", "file:///x")).toThrow("not an s3:// location");
  });
});
