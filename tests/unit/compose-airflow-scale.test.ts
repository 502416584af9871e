import { describe, expect, it } from "vitest";
import {
  hostPathOf,
  isScaleOut,
  mounts,
  readRepoFile,
  repoPathExists,
} from "./compose/compose-file.ts";
import {
  cliCheckoutFiles,
  cliImports,
  dockerfileOf,
  entrypointScript,
  imageProvides,
  service,
  services,
  servicesFor,
  withoutComments,
} from "./compose/context.ts";

// Static checks of docker mode (docker-compose.yml, the Dockerfiles, versions.env): no
// Docker engine is needed; shared fixtures are in ./compose/context.ts.

describe("the dashboards' refresh in the Airflow containers", () => {
  it("runs the checkout's CLI with the image's Node.js and packages and this install's .env", () => {
    const pkg = JSON.parse(readRepoFile("package.json")) as {
      type?: string;
      dependencies: Record<string, string>;
    };
    expect(pkg.type).toBe("module");
    // Every package the CLI imports is installed by `npm ci --omit=dev`.
    for (const imported of cliImports())
      expect(Object.keys(pkg.dependencies), `src imports ${imported}`).toContain(imported);
    const stateVolumes = new Set<string>();
    for (const name of servicesFor("Airflow")) {
      const s = service(name);
      const env = s.environment ?? {};
      expect(env.LAKEHOUSE_VIEW, name).toBe("container");
      const command = (env.LAKEHOUSE_DASHBOARDS_COMMAND ?? "").split(/\s+/);
      expect(command.at(-1), name).toBe("dashboards");
      // `sh SCRIPT dashboards`: the script, from the mounted checkout, says how the CLI runs.
      const script = command[0] === "sh" ? hostPathOf(s, command[1] ?? "") : undefined;
      if (command[0] === "sh") expect(script, `${name}: ${command[1]} not mounted`).toBeDefined();
      const scriptText = script ? readRepoFile(script) : "";
      const cliVariable = /^cli=(\S+)$/m.exec(scriptText)?.[1];
      const words = script
        ? scriptText
            .replaceAll("$cli", cliVariable ?? "$cli")
            .split(/[\s"]+/)
            // The compiled build is optional: the host's `lakehouse` script makes it.
            .filter((w) => w.startsWith("/") && !w.includes("/dist/cli/"))
        : command;
      const main = words.find((w) => /\/(src\/cli\/main\.ts|lakehouse)$/.test(w)) ?? "";
      const cliRoot = main.replace(/\/(src\/cli\/main\.ts|lakehouse)$/, "");
      expect(cliRoot, `${name}: no CLI in ${env.LAKEHOUSE_DASHBOARDS_COMMAND}`).toMatch(/^\//);
      // The CLI finds the checkout's files it reads where it runs (projectRoot is its root).
      const dockerfile = dockerfileOf(s);
      const missing = ["package.json", "src/cli/main.ts", ...cliCheckoutFiles()].filter((file) => {
        const inContainer = `${cliRoot}/${file}`;
        const mounted = hostPathOf(s, inContainer);
        return mounted === undefined
          ? !imageProvides(dockerfile, inContainer, pkg)
          : mounted !== file;
      });
      expect(missing, `${name}: not in ${cliRoot}`).toEqual([]);
      // Node.js and the packages outside the mounts come from the image.
      if (words[0] === "node" || scriptText.includes("exec node"))
        expect(imageProvides(dockerfile, "/usr/local/bin/node", pkg), name).toBe(true);
      for (const path of words.filter((w) => w.startsWith("/") && w !== main)) {
        const mounted = hostPathOf(s, path);
        if (mounted) expect(repoPathExists(mounted), `${name}: ${path}`).toBe(true);
        else expect(imageProvides(dockerfile, path, pkg), `${name}: ${path}`).toBe(true);
      }
      // Settings: this install's .env, and state and data where they are mounted.
      const target = (variable: string) =>
        mounts(s).find((m) => m.variables.includes(variable))?.target;
      expect(env.LAKEHOUSE_ENV_FILE, name).toBe(target("LAKEHOUSE_ENV_FILE"));
      const state = mounts(s).find((m) => m.kind === "named" && m.target === env.LAKEHOUSE_HOME);
      expect(state, `${name}: LAKEHOUSE_HOME ${env.LAKEHOUSE_HOME} is not a volume`).toBeDefined();
      stateVolumes.add(state?.source ?? "");
    }
    // One state volume for all: the provisioning lock in it keeps the DAG's refresh and
    // `up --docker`'s (run in airflow-worker) from provisioning at the same time.
    expect([...stateVolumes]).toHaveLength(1);
  });
});

describe("scale-out", () => {
  const scalable = services.filter(([, s]) => isScaleOut(s)).map(([n]) => n);

  it("offers more Trino workers, Celery workers and SeaweedFS volume servers", () => {
    expect(scalable.sort()).toEqual([
      "airflow-worker-extra",
      "seaweedfs-volume-extra",
      "trino-worker",
    ]);
    const docs = readRepoFile("docs/docker.md");
    for (const name of scalable) expect(docs).toContain(`--scale ${name}=`);
  });

  it("gives replicas nothing that two containers cannot share", () => {
    // The lock names its holder by host and pid: a pid alone means nothing in another
    // container, whose processes are invisible here.
    expect(readRepoFile("src/runtime/lock.ts")).toContain("hostname()");
    for (const name of scalable) {
      const s = service(name);
      expect(s.container_name, name).toBeUndefined();
      expect(s.ports ?? [], name).toEqual([]);
      // A volume server's blobs must not land in another's directory. Shared on purpose:
      // Airflow's task logs (one file per task try) and airflow-state, which holds the
      // dashboards' provisioning lock that every Airflow container must share.
      const named = mounts(s).filter(
        (m) => m.kind === "named" && !["airflow-logs", "airflow-state"].includes(m.source),
      );
      expect(named, name).toEqual([]);
    }
  });

  it("starts Trino workers as workers of the coordinator", () => {
    const coordinator = service("trino");
    const worker = service("trino-worker");
    expect(worker.environment?.TRINO_ROLE).toBe("worker");
    expect(coordinator.environment?.TRINO_ROLE ?? "coordinator").toBe("coordinator");
    // The same image and entrypoint: only TRINO_ROLE differs.
    expect(worker.build).toEqual(coordinator.build);
    expect(worker.image).toBe(coordinator.image);
    for (const s of [coordinator, worker]) {
      expect([s.entrypoint, s.command]).toEqual([undefined, undefined]);
      expect(entrypointScript(s)).toBe("docker/trino/entrypoint.sh");
    }
    const script = withoutComments(readRepoFile("docker/trino/entrypoint.sh"));
    const branch = /TRINO_ROLE[^\n]*\bworker\b[^\n]*\n([\s\S]*?)\n\s*fi\b/.exec(script)?.[1] ?? "";
    expect(branch).toContain("-Dcoordinator=false");
    expect(branch).toMatch(/-Ddiscovery\.uri=http:\/\/trino:\$\{TRINO_HTTP_PORT/);
    // A worker announces its own address, not the coordinator's name.
    expect(branch).toMatch(/TRINO_INTERNAL_ADDRESS=/);
    expect(script).toMatch(/\$role io\.trino\.server\.TrinoServer/);
    // The shared config.properties makes the one without TRINO_ROLE the coordinator.
    expect(readRepoFile("services/trino/etc/config.properties")).toMatch(/^coordinator=true$/m);
  });
});
