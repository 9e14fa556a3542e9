import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../../src/cli/main.js";
import type { ProjectStatus } from "../../../src/api/types.js";
import { api, cleanupDirs, docker, eventually, removeProjects, startDaemon, type Daemon } from "./daemon.js";

const IMAGE = "berth-test/busybox:1";
const BIN = fileURLToPath(new URL("../../../bin/berth.js", import.meta.url));
const suffix = Math.random().toString(36).slice(2, 7);
const name = (base: string) => `${base}-${suffix}`;

function webSpec(project: string, env = "one", extra = ""): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata:
  name: ${project}
  labels: {suite: reconcile${extra}}
spec:
  containers:
    - name: web
      image: ${IMAGE}
      command: ["sh", "-c", "mkdir -p /www && echo $GREETING > /www/index.html && exec httpd -f -p 8080 -h /www"]
      env: [{name: GREETING, value: "${env}"}]
      ports: [{name: http, containerPort: 8080}]
`;
}

/** Writes a spec the way editors do: a temp file renamed over the target. */
function save(dir: string, file: string, text: string): void {
  const tmp = join(dir, `.${file}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, file));
}

interface View {
  generation: number;
  status: ProjectStatus;
}

async function project(d: Daemon, key: string): Promise<View | undefined> {
  const r = await api(d, `/api/v1/projects/${key}`);
  return r.ok ? ((await r.json()) as View) : undefined;
}

async function untilRunning(d: Daemon, key: string, minGeneration = 1): Promise<View> {
  return eventually(
    async () => {
      const p = await project(d, key);
      return p && p.status.phase === "Running" && (p.status.observedGeneration ?? 0) >= minGeneration
        ? p
        : undefined;
    },
    30_000,
    `${key} Running (generation ${minGeneration})`,
  );
}

async function httpText(url: string): Promise<string> {
  return eventually(
    async () => {
      const r = await fetch(url);
      return r.ok ? await r.text() : undefined;
    },
    15_000,
    `HTTP 200 from ${url}`,
  );
}

function cli(d: Daemon, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = { out: "", err: "" };
  return main(["node", "berth", ...args, "--server", d.url], {
    out: (t) => void (io.out += t),
    err: (t) => void (io.err += t),
  }).then((code) => ({ code, ...io }));
}

function expectOk(r: { code: number; out: string; err: string }): void {
  expect(r.code, `${r.out}${r.err}`).toBe(0);
}

describe("file-mode reconcile against the real Docker engine", () => {
  let d: Daemon;
  const projects = ["web", "stopper", "broken", "fixed-a", "fixed-b", "ext"].map(name);

  beforeAll(async () => {
    d = await startDaemon();
  });
  afterAll(async () => {
    await d?.stop();
    await removeProjects(projects.map((p) => `default.${p}`));
    cleanupDirs(d.dir, d.stateDir);
  });

  it("refuses a second berth run on the same directory, naming the first", async () => {
    const other = mkdtempSync(join(tmpdir(), "berth-it-state2-"));
    try {
      const r = spawnSync(
        process.execPath,
        [BIN, "run", "--dir", d.dir, "--state-dir", other, "--http", "127.0.0.1:0"],
        {
          encoding: "utf8",
          timeout: 30_000,
        },
      );
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`another berth run (pid ${d.proc.pid}`);
      expect(r.stderr).toContain(`already reconciles ${d.dir}`);
    } finally {
      cleanupDirs(other);
    }
  });

  it("runs a new spec file and its allocated port answers HTTP", async () => {
    const p = name("web");
    save(d.dir, `${p}.yaml`, webSpec(p));
    const view = await untilRunning(d, `default/${p}`);
    const url = view.status.ports?.[0]?.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:21\d{3}$/);
    expect((await httpText(`${url}/`)).trim()).toBe("one");
    const containers = await docker().listContainers({
      filters: JSON.stringify({ label: [`berth.dev/project=default.${p}`] }),
    });
    expect(containers.map((c) => c.Names[0])).toEqual([`/berth-default-${p}-web`]);
    expect(containers[0]?.Labels["berth.dev/spec-hash"]).toMatch(/^[0-9a-f]{64}$/);
  });

  it("replaces the container when env changes, keeping the host port; labels alone replace nothing", async () => {
    const p = name("web");
    const before = await untilRunning(d, `default/${p}`);
    const id1 = before.status.containers?.[0]?.containerID;
    save(d.dir, `${p}.yaml`, webSpec(p, "one", ", team: x"));
    await eventually(async () => (await project(d, `default/${p}`)) !== undefined);
    await new Promise((r) => setTimeout(r, 600));
    const same = await untilRunning(d, `default/${p}`);
    expect(same.generation).toBe(1);
    expect(same.status.containers?.[0]?.containerID).toBe(id1);

    save(d.dir, `${p}.yaml`, webSpec(p, "two"));
    const after = await untilRunning(d, `default/${p}`, 2);
    expect(after.status.containers?.[0]?.containerID).not.toBe(id1);
    expect(after.status.ports?.[0]?.hostPort).toBe(before.status.ports?.[0]?.hostPort);
    expect((await httpText(`${after.status.ports?.[0]?.url}/`)).trim()).toBe("two");
  });

  it("keeps containers running when the file gets a syntax error, and describe shows the line", async () => {
    const p = name("broken");
    save(d.dir, `${p}.yaml`, webSpec(p));
    const ok = await untilRunning(d, `default/${p}`);
    const id = ok.status.containers?.[0]?.containerID;
    save(d.dir, `${p}.yaml`, `${webSpec(p)}      bogus: [\n`);
    const bad = await eventually(
      async () => {
        const v = await project(d, `default/${p}`);
        return v?.status.conditions?.find((c) => c.type === "SpecValid" && c.status === "False")
          ? v
          : undefined;
      },
      10_000,
      "SpecValid=False",
    );
    expect(bad.status.containers?.[0]?.containerID).toBe(id);
    expect(bad.status.containers?.[0]?.state).toBe("running");
    const described = await cli(d, "describe", p);
    expect(described.code).toBe(0);
    expect(described.out).toMatch(new RegExp(`${p}\\.yaml:14:\\d+`));
  });

  it("stop, start, restart and delete", async () => {
    const p = name("stopper");
    save(d.dir, `${p}.yaml`, webSpec(p));
    const first = await untilRunning(d, `default/${p}`);
    const id = first.status.containers?.[0]?.containerID ?? "";

    expectOk(await cli(d, "stop", p, "--wait"));
    const stopped = await eventually(async () => {
      const v = await project(d, `default/${p}`);
      return v?.status.phase === "Stopped" ? v : undefined;
    });
    expect(stopped.status.ports?.[0]?.hostPort).toBe(first.status.ports?.[0]?.hostPort);
    expect((await docker().getContainer(id).inspect()).State.Running).toBe(false);

    expectOk(await cli(d, "start", p, "--wait"));
    await untilRunning(d, `default/${p}`);
    expect((await docker().getContainer(id).inspect()).State.Running).toBe(true);

    expectOk(await cli(d, "restart", p, "--wait"));
    const restarted = await untilRunning(d, `default/${p}`);
    expect(restarted.status.containers?.[0]?.containerID).not.toBe(id);

    expectOk(await cli(d, "delete", p, "--wait"));
    await eventually(async () => (await project(d, `default/${p}`)) === undefined, 15_000, "project gone");
    const left = await docker().listContainers({
      all: true,
      filters: JSON.stringify({ label: [`berth.dev/project=default.${p}`] }),
    });
    expect(left).toEqual([]);
    const nets = await docker().listNetworks({ filters: JSON.stringify({ name: [`berth-default-${p}`] }) });
    expect(nets.filter((n) => n.Name === `berth-default-${p}`)).toEqual([]);
    expect(readFileSync(join(d.stateDir, "ports.json"), "utf8")).not.toContain(`default/${p}`);
  });

  it("reports PortConflict naming the project or the external process holding a fixed hostPort", async () => {
    const [a, b, e] = [name("fixed-a"), name("fixed-b"), name("ext")];
    const fixed = (p: string, port: number) =>
      webSpec(p).replace(
        "ports: [{name: http, containerPort: 8080}]",
        `ports: [{name: http, containerPort: 8080, hostPort: ${port}}]`,
      );
    save(d.dir, `${a}.yaml`, fixed(a, 21950));
    await untilRunning(d, `default/${a}`);
    save(d.dir, `${b}.yaml`, fixed(b, 21950).replace(/name: http/, "name: web"));
    const conflict = await eventually(
      async () => {
        const v = await project(d, `default/${b}`);
        return v?.status.conditions?.find((c) => c.type === "PortsAllocated" && c.status === "False");
      },
      15_000,
      "PortConflict",
    );
    expect(conflict.reason).toBe("PortConflict");
    expect(conflict.message).toContain(`project default/${a}`);

    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(21960, "0.0.0.0", () => r()));
    try {
      save(d.dir, `${e}.yaml`, fixed(e, 21960).replace(/name: http/, "name: ext"));
      const ext = await eventually(
        async () => {
          const v = await project(d, `default/${e}`);
          return v?.status.conditions?.find((c) => c.type === "PortsAllocated" && c.status === "False");
        },
        15_000,
        "external PortConflict",
      );
      expect(ext.message).toMatch(/external process "node" \(pid \d+\)/);
    } finally {
      server.close();
    }
    rmSync(join(d.dir, `${b}.yaml`));
    rmSync(join(d.dir, `${e}.yaml`));
  });

  it("applies a spec from outside the watched directory and waits until it runs", async () => {
    const p = name("applied");
    projects.push(p);
    const outside = mkdtempSync(join(tmpdir(), "berth-it-apply-"));
    try {
      writeFileSync(join(outside, "spec.yaml"), webSpec(p, "applied"));
      const r = await cli(d, "apply", "-f", join(outside, "spec.yaml"), "--wait", "--timeout", "30s");
      expectOk(r);
      const v = await project(d, `default/${p}`);
      expect(v?.status.phase).toBe("Running");
      expect(readFileSync(join(d.dir, `${p}.yaml`), "utf8")).toContain(`name: ${p}`);
      expect((await httpText(`${v?.status.ports?.[0]?.url}/`)).trim()).toBe("applied");
      const bad = await cli(
        d,
        "apply",
        "-f",
        join(outside, "spec.yaml").replace("spec.yaml", "missing.yaml"),
      );
      expect(bad.code).toBe(1);
    } finally {
      cleanupDirs(outside);
    }
  });

  it("leaves the containers of another operator on the same Docker host alone", async () => {
    const p = name("web");
    const before = await untilRunning(d, `default/${p}`);
    const other = await startDaemon({ portRange: "21500-21599" });
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const after = await untilRunning(d, `default/${p}`);
      expect(after.status.containers?.[0]?.containerID).toBe(before.status.containers?.[0]?.containerID);
      const info = await docker()
        .getContainer(after.status.containers?.[0]?.containerID ?? "")
        .inspect();
      expect(info.State.Running).toBe(true);
      expect(info.Config.Labels["berth.dev/instance"]).toMatch(/^.+:[0-9a-f]{12}$/);
      // Nor does it follow their logs or sample them: the project is unknown to it.
      const logs = await api(other, `/api/v1/projects/default/${p}/logs`);
      expect(logs.status).toBe(404);
      expect(await (await api(other, `/metrics`)).text()).not.toContain(`default/${p}`);
    } finally {
      await other.stop();
      cleanupDirs(other.dir, other.stateDir);
    }
  });

  it("restarts a killed container per its policy and shows the restart count", async () => {
    const p = name("web");
    const before = await untilRunning(d, `default/${p}`);
    const id = before.status.containers?.[0]?.containerID ?? "";
    execFileSync("docker", ["kill", id]);
    const after = await eventually(
      async () => {
        const v = await project(d, `default/${p}`);
        const c = v?.status.containers?.[0];
        return v?.status.phase === "Running" && c?.containerID === id && c.state === "running"
          ? v
          : undefined;
      },
      20_000,
      "container running again",
    );
    expect(after.status.containers?.[0]?.containerID).toBe(id);
    const info = await docker().getContainer(id).inspect();
    expect(info.State.Running).toBe(true);
  });
});
