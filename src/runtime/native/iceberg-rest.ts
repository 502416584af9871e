import type { Settings } from "../../config/settings.ts";
import type { InstalledTools } from "../../install/installer.ts";
import { authority, httpUrl } from "../../services/addresses.ts";
import type { ProcessSpec } from "./process-spec.ts";

/**
 * The Iceberg REST catalog, storing its catalog in PostgreSQL (database `iceberg`) and
 * table files in the warehouse bucket. It reads its settings only from CATALOG_*
 * environment variables (`__` becomes `-`, `_` becomes `.`).
 */
export function icebergRestProcess(s: Settings, tools: InstalledTools): ProcessSpec {
  return {
    command: tools.java,
    args: [
      `-Xmx${s.icebergRest.heap}`,
      "-cp",
      tools.icebergRestClasspath.join(":"),
      "org.apache.iceberg.rest.LocalRESTCatalogServer",
    ],
    env: {
      REST_BIND_HOST: s.bindHost,
      CATALOG_REST_PORT: String(s.ports.ICEBERG_REST_PORT),
      CATALOG_URI: `jdbc:postgresql://${authority(s, "postgres")}/${s.postgres.catalogDatabase}`,
      CATALOG_JDBC_USER: s.postgres.user,
      CATALOG_JDBC_PASSWORD: s.postgres.password.reveal(),
      CATALOG_WAREHOUSE: `s3://${s.s3.warehouseBucket}/`,
      CATALOG_IO__IMPL: "org.apache.iceberg.aws.s3.S3FileIO",
      CATALOG_S3_ENDPOINT: httpUrl(s, "seaweedfs-s3"),
      CATALOG_S3_PATH__STYLE__ACCESS: "true",
      CATALOG_S3_ACCESS__KEY__ID: s.s3.accessKey.reveal(),
      CATALOG_S3_SECRET__ACCESS__KEY: s.s3.secretKey.reveal(),
      CATALOG_CLIENT_REGION: s.s3.region,
    },
  };
}
