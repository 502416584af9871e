import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Settings } from "../../config/settings.ts";
import type { InstalledTools } from "../../install/installer.ts";
import { authority, hostAddress } from "../../services/addresses.ts";
import type { ProcessSpec } from "./process-spec.ts";

/** Every weed server also opens gRPC on its HTTP port + 10000 (weed's own convention). */
export const grpcPort = (httpPort: number) => httpPort + 10_000;

/**
 * SeaweedFS as the spec's four parts: master, volume, filer and S3 gateway, each its own
 * process, all on the bind address only.
 */
export function seaweedfsProcesses(
  s: Settings,
  tools: InstalledTools,
): Record<string, ProcessSpec> {
  const home = join(s.paths.state, "seaweedfs");
  const ip = s.bindHost;
  // What the servers announce and dial: the address they listen on.
  const local = hostAddress(s);
  const master = authority(s, "seaweedfs-master");
  const common = (name: string, port: number) => [
    `-ip.bind=${ip}`,
    `-port=${port}`,
    `-port.grpc=${grpcPort(port)}`,
    "-metricsPort=0",
    ...(name === "s3" ? [] : [`-ip=${local}`]),
  ];
  const dir = (name: string) => {
    const path = join(home, name);
    return {
      path,
      async prepare() {
        mkdirSync(path, { recursive: true });
      },
    };
  };
  const masterDir = dir("master");
  const volumeDir = dir("volume");
  const filerDir = dir("filer");
  return {
    "seaweedfs-master": {
      command: tools.weed,
      args: [
        "master",
        ...common("master", s.ports.SEAWEEDFS_MASTER_PORT),
        `-mdir=${masterDir.path}`,
        "-peers=none",
        "-volumeSizeLimitMB=1024",
        "-defaultReplication=000",
        "-telemetry=false",
      ],
      // One volume per new bucket instead of seven: a laptop has one disk anyway.
      env: { WEED_MASTER_VOLUME_GROWTH_COPY_1: "1" },
      extraPorts: [grpcPort(s.ports.SEAWEEDFS_MASTER_PORT)],
      prepare: masterDir.prepare,
    },
    "seaweedfs-volume": {
      command: tools.weed,
      args: [
        "volume",
        ...common("volume", s.ports.SEAWEEDFS_VOLUME_PORT),
        `-master=${master}`,
        `-dir=${volumeDir.path}`,
        // 0 = as many volumes as the disk holds; the default of 8 runs out at the second bucket.
        "-max=0",
        "-preStopSeconds=1",
      ],
      extraPorts: [grpcPort(s.ports.SEAWEEDFS_VOLUME_PORT)],
      prepare: volumeDir.prepare,
    },
    "seaweedfs-filer": {
      command: tools.weed,
      args: [
        "filer",
        ...common("filer", s.ports.SEAWEEDFS_FILER_PORT),
        `-master=${master}`,
        `-defaultStoreDir=${filerDir.path}`,
        `-localSocket=${join(home, "filer.sock")}`,
      ],
      // The filer reads filer.toml from its working directory: keep it in our own folder.
      cwd: filerDir.path,
      extraPorts: [grpcPort(s.ports.SEAWEEDFS_FILER_PORT)],
      prepare: filerDir.prepare,
    },
    "seaweedfs-s3": {
      command: tools.weed,
      args: [
        "s3",
        ...common("s3", s.ports.SEAWEEDFS_S3_PORT),
        `-filer=${authority(s, "seaweedfs-filer")}`,
        // Its built-in Iceberg and Lance endpoints would take 8181 and 9101: off.
        "-port.iceberg=0",
        "-port.lance=0",
        `-localSocket=${join(home, "s3.sock")}`,
      ],
      // The one S3 identity, with admin rights, from the generated credentials.
      env: {
        AWS_ACCESS_KEY_ID: s.s3.accessKey.reveal(),
        AWS_SECRET_ACCESS_KEY: s.s3.secretKey.reveal(),
      },
      extraPorts: [grpcPort(s.ports.SEAWEEDFS_S3_PORT)],
    },
  };
}
