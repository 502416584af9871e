import { S3Client } from "@aws-sdk/client-s3";
import type { Settings } from "../config/settings.ts";
import { httpUrl } from "../services/addresses.ts";

// The SDK warns on every run that releases from 2027 on need Node 22; we pin our version.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** An S3 client for SeaweedFS: path-style addressing and the one fixed region. */
export function s3Client(s: Settings): S3Client {
  return new S3Client({
    endpoint: httpUrl(s, "seaweedfs-s3"),
    region: s.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s.s3.accessKey.reveal(), secretAccessKey: s.s3.secretKey.reveal() },
  });
}
