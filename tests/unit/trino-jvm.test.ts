import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/config/paths.ts";
import { trinoJvmOptions } from "../../src/runtime/native/trino.ts";

describe("Trino JVM options", () => {
  it("take the heap from settings and drop the option JDK 25 refuses", () => {
    const options = trinoJvmOptions(
      "-server\n-Xmx16G\n# comment\n-XX:GCLockerRetryAllocationCount=32\n\n",
      "2G",
    );
    expect(options).toEqual(["-server", "-Xmx2G"]);
  });

  it("read the shared jvm.config, which sets an explicit heap", () => {
    const config = readFileSync(join(projectRoot, "services/trino/etc/jvm.config"), "utf8");
    expect(trinoJvmOptions(config, "3G")).toContain("-Xmx3G");
  });
});
