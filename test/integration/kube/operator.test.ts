/**
 * `berth run --kube` against a real kube-apiserver and real Docker: kubectl is the user's tool,
 * the Project objects' status, events and finalizer are what the user sees.
 */
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubeEnv } from "../../helpers/kube.js";
import { call, httpClient } from "../mcp/helpers.js";
import { api, docker, eventually } from "../operator/daemon.js";
import {
  EXAMPLES,
  getProject,
  httpText,
  kc,
  projectYaml,
  setupKube,
  startOperator,
  tearDownNamespace,
  waitRunning,
  type KubeOperator,
} from "./operator-harness.js";

const NS = "kube-op";
const PORTS = "30000-30249";
const CONFLICT_PORT = 30290;
let op: KubeOperator;

async function containersOf(name: string): Promise<{ id: string; state: string }[]> {
  const filters = JSON.stringify({ label: [`berth.dev/project=${NS}.${name}`] });
  const list = await docker().listContainers({ all: true, filters });
  return list.map((c) => ({ id: c.Id, state: c.State }));
}

async function describeText(name: string): Promise<string> {
  return kc(["describe", "bproj", name, "-n", NS]);
}

/** The HTTP status a URL answers with (any status counts as answering), or undefined. */
async function httpStatus(url: string): Promise<number | undefined> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await r.text();
    return r.status;
  } catch {
    return undefined;
  }
}

/** Waits until neither reconciles nor status writes have happened for 2.5 s; returns the counts. */
async function settle(): Promise<{ r: number; w: number }> {
  let before = { r: -1, w: -1 };
  await eventually(
    async () => {
      const now = {
        r: await op.metric("controller_runtime_reconcile_total"),
        w: await op.metric("berth_kube_status_writes_total"),
      };
      const stable = now.r === before.r && now.w === before.w;
      before = now;
      if (!stable) await new Promise((r) => setTimeout(r, 2500));
      return stable;
    },
    60_000,
    "the operator to come to rest",
  );
  return before;
}

function berthCli(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["bin/berth.js", ...args],
      { env: { ...process.env, BERTH_SERVER: op.url }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, out: stdout + stderr });
      },
    );
  });
}

beforeAll(async () => {
  kubeEnv();
  await setupKube([NS]);
  op = await startOperator({ namespace: NS, portRange: PORTS, extraArgs: ["--lease-namespace", NS] });
}, 40 * 60_000);

afterAll(async () => {
  // Deleting while the operator runs exercises the finalizer once more and leaves nothing behind.
  await tearDownNamespace(NS, [op]);
}, 180_000);

describe("kube mode: Projects applied with kubectl", () => {
  it("runs the examples: containers Running, ports answering, printer columns, status with conditions", async () => {
    const files = ["web.yaml", "guestbook.yaml", "health.yaml"];
    const names: string[] = [];
    for (const f of files) {
      // The examples name their own namespace (or none); each test file uses its own.
      const text = readFileSync(join(EXAMPLES, f), "utf8").replace(/^ {2}namespace: .*\n/m, "");
      await kc(["apply", "-n", NS, "-f", "-"], text);
      names.push(/^ {2}name: (\S+)/m.exec(text)?.[1] ?? "");
    }
    for (const name of names) {
      const p = await waitRunning(NS, name, 120_000);
      for (const port of p.status?.ports ?? []) {
        expect(port.hostPort).toBeGreaterThanOrEqual(30000);
        expect(port.hostPort).toBeLessThanOrEqual(30249);
        const url = port.url ?? "";
        await eventually(() => httpStatus(url), 20_000, `${url} answering`);
      }
      const ready = p.status?.conditions?.find((c) => c.type === "Ready");
      expect(ready).toMatchObject({ status: "True", observedGeneration: p.metadata.generation });
      expect(p.status?.observedGeneration).toBe(p.metadata.generation);
      expect(p.metadata.finalizers).toContain("berth.dev/cleanup");
    }
    const table = await kc(["get", "bproj", "-n", NS]);
    expect(table.split("\n")[0]).toMatch(/^NAME\s+PHASE\s+READY\s+PORTS\s+AGE/);
    expect(table).toMatch(/\nweb\s+Running\s+1\/1\s+httpd:\d+->8080\s/);
    expect(table).toMatch(/\nguestbook\s+Running\s+2\/2\s/);
    const yaml = await kc(["get", "bproj", "status-page", "-n", NS, "-o", "yaml"]);
    expect(yaml).toMatch(/\n {2}observedGeneration: 1\n/);
    expect(yaml).toMatch(/type: Ready/);
    expect(yaml).toMatch(/reason: AllContainersHealthy/);
    expect(await describeText("web")).toMatch(/Normal\s+Created\s+.*container httpd created/);
  }, 240_000);

  it("writes status only when it changes: at rest neither reconciles nor status writes happen", async () => {
    // Probes and late container events may still change a status at first.
    const before = await settle();
    await new Promise((r) => setTimeout(r, 6000));
    expect(await op.metric("controller_runtime_reconcile_total")).toBe(before.r);
    expect(await op.metric("berth_kube_status_writes_total")).toBe(before.w);
    expect(before.w).toBeGreaterThan(0);
  }, 90_000);

  it("replaces the container on a spec edit, not on a label edit", async () => {
    await kc(["apply", "-f", "-"], projectYaml(NS, "kube-edit", { text: "one" }));
    const first = await waitRunning(NS, "kube-edit");
    const id = first.status?.containers?.[0]?.containerID;
    const url = first.status?.ports?.[0]?.url ?? "";
    expect(await eventually(() => httpText(url), 20_000)).toContain("one");

    await kc(["label", "bproj", "kube-edit", "-n", NS, "tier=web"]);
    await new Promise((r) => setTimeout(r, 3000));
    const labelled = await getProject(NS, "kube-edit");
    expect(labelled?.metadata.labels?.["tier"]).toBe("web");
    expect(labelled?.metadata.generation).toBe(1);
    expect(labelled?.status?.containers?.[0]?.containerID).toBe(id);
    const view = (await (await api(op, `/api/v1/projects/${NS}/kube-edit`)).json()) as {
      labels?: Record<string, string>;
    };
    expect(view.labels?.["tier"]).toBe("web");

    await kc(["apply", "-f", "-"], projectYaml(NS, "kube-edit", { text: "two" }));
    const second = await eventually(
      async () => {
        const p = await getProject(NS, "kube-edit");
        return p?.status?.observedGeneration === 2 && p.status.phase === "Running" ? p : undefined;
      },
      60_000,
      "generation 2 Running",
    );
    expect(second.status?.containers?.[0]?.containerID).not.toBe(id);
    expect(second.status?.ports?.[0]?.url).toBe(url); // the host port stays
    expect(
      await eventually(async () => ((await httpText(url))?.includes("two") ? "two" : undefined), 20_000),
    ).toBe("two");
    expect(await describeText("kube-edit")).toMatch(/Normal\s+Replaced\s+.*container web replaced/);
    expect(await containersOf("kube-edit")).toHaveLength(1);
  }, 120_000);

  it("kubectl delete removes the containers and network first, then the object", async () => {
    await kc(["apply", "-f", "-"], projectYaml(NS, "kube-del"));
    await waitRunning(NS, "kube-del");
    expect(await containersOf("kube-del")).toHaveLength(1);
    await kc(["delete", "bproj", "kube-del", "-n", NS, "--wait=true", "--timeout=60s"]);
    // The object is gone only once the finalizer was released, i.e. after the teardown.
    expect(await getProject(NS, "kube-del")).toBeUndefined();
    expect(await containersOf("kube-del")).toEqual([]);
    const nets = await docker().listNetworks({ filters: JSON.stringify({ name: [`berth-${NS}-kube-del`] }) });
    expect(nets.filter((n) => n.Name === `berth-${NS}-kube-del`)).toEqual([]);
    const gone = await api(op, `/api/v1/projects/${NS}/kube-del`);
    expect(gone.status).toBe(404);
  }, 120_000);

  describe("events for the important transitions", () => {
    let holder: Server;
    beforeAll(async () => {
      holder = createServer();
      await new Promise<void>((r) => holder.listen(CONFLICT_PORT, "127.0.0.1", r));
    });
    afterAll(() => new Promise<void>((r) => holder.close(() => r())));

    it("port conflict, missing image and unhealthy container are Warning events", async () => {
      await kc(["apply", "-f", "-"], projectYaml(NS, "kube-conflict", { hostPort: CONFLICT_PORT }));
      await kc(["apply", "-f", "-"], projectYaml(NS, "kube-noimage", { image: "berth-test/missing:1" }));
      const unhealthy = projectYaml(NS, "kube-sick").replace(
        "      ports:",
        "      healthCheck: {httpGet: {path: /nope, port: http}, periodSeconds: 1, failureThreshold: 1}\n      ports:",
      );
      await kc(["apply", "-f", "-"], unhealthy);
      const conflict = await eventually(
        async () => ((await describeText("kube-conflict")).match(/Warning\s+PortConflict\s+.*/) ?? [])[0],
        60_000,
        "a PortConflict event",
      );
      expect(conflict).toContain(String(CONFLICT_PORT));
      const p = await getProject(NS, "kube-conflict");
      expect(p?.status?.conditions?.find((c) => c.type === "PortsAllocated")?.status).toBe("False");
      expect(
        await eventually(
          async () => /Warning\s+ImageMissing/.test(await describeText("kube-noimage")),
          60_000,
        ),
      ).toBe(true);
      expect(
        await eventually(
          async () =>
            /Warning\s+Unhealthy\s+.*container web is unhealthy/.test(await describeText("kube-sick")),
          60_000,
        ),
      ).toBe(true);
      const events = JSON.parse(await kc(["get", "events", "-n", NS, "-o", "json"])) as {
        items: { involvedObject: { kind: string; name: string }; source?: { component?: string } }[];
      };
      const about = events.items.filter((e) => e.involvedObject.name === "kube-conflict");
      expect(about.length).toBeGreaterThan(0);
      expect(about.every((e) => e.involvedObject.kind === "Project" && e.source?.component === "berth")).toBe(
        true,
      );
      // Stored by the apiserver, refused by Berth's own rules: an event and the errors endpoint say why.
      const badRule = projectYaml(NS, "kube-badrule").replace(
        "      ports:",
        "      healthCheck: {tcpSocket: {port: nope}}\n      ports:",
      );
      await kc(["apply", "-f", "-"], badRule);
      const invalid = await eventually(
        async () => ((await describeText("kube-badrule")).match(/Warning\s+InvalidSpec\s+.*/) ?? [])[0],
        30_000,
        "an InvalidSpec event",
      );
      expect(invalid).toContain("spec.containers[0].healthCheck");
      const errors = (await (await api(op, `/api/v1/errors`)).json()) as {
        errors?: { file: string }[];
      };
      expect(JSON.stringify(errors)).toContain(`projects.berth.dev/${NS}/kube-badrule`);
      for (const n of ["kube-conflict", "kube-noimage", "kube-sick", "kube-badrule"]) {
        await kc(["delete", "bproj", n, "-n", NS, "--wait=true", "--timeout=60s"]);
      }
    }, 150_000);
  });

  it("the CLI and the REST API edit the custom resources", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-kube-cli-"));
    const file = join(dir, "cli.yaml");
    writeFileSync(file, projectYaml(NS, "kube-cli"));
    const applied = await berthCli(["apply", "-f", file, "--wait", "--timeout", "60s"]);
    expect(applied.out).toMatch(/kube-cli/);
    expect(applied.code).toBe(0);
    const created = await waitRunning(NS, "kube-cli");
    expect(created.metadata.finalizers).toContain("berth.dev/cleanup");

    const stopped = await berthCli(["stop", "kube-cli", "-n", NS, "--wait"]);
    expect(stopped.code).toBe(0);
    const afterStop = await eventually(
      async () => {
        const p = await getProject(NS, "kube-cli");
        return p?.status?.phase === "Stopped" ? p : undefined;
      },
      20_000,
      "status phase Stopped",
    );
    expect(afterStop.spec["state"]).toBe("Stopped");

    // A stale hash is a conflict (the resourceVersion precondition backs it on the server).
    const stale = await api(op, `/api/v1/projects/${NS}/kube-cli/state`, {
      method: "PUT",
      headers: { "content-type": "application/json", "if-match": '"0000000000000000"' },
      body: JSON.stringify({ state: "Running" }),
    });
    expect(stale.status).toBe(409);

    expect((await berthCli(["start", "kube-cli", "-n", NS, "--wait"])).code).toBe(0);
    const running = await waitRunning(NS, "kube-cli");
    const id = running.status?.containers?.[0]?.containerID;
    expect((await berthCli(["restart", "kube-cli", "-n", NS, "--wait"])).code).toBe(0);
    const restarted = await eventually(
      async () => {
        const p = await getProject(NS, "kube-cli");
        const now = p?.status?.containers?.[0]?.containerID;
        return now && now !== id ? p : undefined;
      },
      30_000,
      "a new container after the restart",
    );
    expect(restarted.metadata.generation).toBe(running.metadata.generation);
    expect(
      Object.keys((restarted as { metadata: { annotations?: object } }).metadata.annotations ?? {}),
    ).toContain("berth.dev/restartedAt");

    const deleted = await berthCli(["delete", "kube-cli", "-n", NS, "--wait"]);
    expect(deleted.code).toBe(0);
    await eventually(async () => (await getProject(NS, "kube-cli")) === undefined, 30_000, "kube-cli gone");
    expect(await containersOf("kube-cli")).toEqual([]);
  }, 180_000);

  it("MCP tools edit the custom resources too, with the same conflict check", async () => {
    await kc(["apply", "-f", "-"], projectYaml(NS, "kube-mcp"));
    await waitRunning(NS, "kube-mcp");
    const client = await httpClient(op.url, op.token, "kube-test");
    try {
      // A dry run plans from this operator's containers: the running one is kept or replaced.
      const same = await call(client, "apply_project", {
        documents: projectYaml(NS, "kube-mcp"),
        dryRun: true,
      });
      expect(same.isError).toBeFalsy();
      expect(same.structuredContent?.["results"]).toMatchObject([
        { plan: { containers: [{ name: "web", action: "keep" }] } },
      ]);
      const changed = projectYaml(NS, "kube-mcp", { text: "changed" });
      const dry = await call(client, "apply_project", { documents: changed, dryRun: true });
      expect(dry.structuredContent?.["results"]).toMatchObject([
        {
          plan: {
            containers: [{ name: "web", action: "replace" }],
            ports: [{ name: "http", source: "kept" }],
          },
        },
      ]);
      const patched = await call(client, "patch_project", {
        namespace: NS,
        name: "kube-mcp",
        patch: {
          metadata: { labels: { via: "mcp" } },
          spec: { containers: { web: { env: { GREETING: "hi" } } } },
        },
      });
      expect(patched.isError).toBeFalsy();
      const p = await getProject(NS, "kube-mcp");
      expect(p?.metadata.labels?.["via"]).toBe("mcp");
      expect((p?.spec["containers"] as { env?: unknown }[])[0]?.env).toEqual([
        { name: "GREETING", value: "hi" },
      ]);
      expect(p?.metadata.generation).toBe(2);
      const stale = await call(client, "patch_project", {
        namespace: NS,
        name: "kube-mcp",
        resourceVersion: "0000000000000000",
        patch: { spec: { state: "Stopped" } },
      });
      expect(stale.isError).toBe(true);
      expect((await getProject(NS, "kube-mcp"))?.spec["state"]).toBe("Running");
    } finally {
      await client.close();
    }
    await kc(["delete", "bproj", "kube-mcp", "-n", NS, "--wait=true", "--timeout=60s"]);
  }, 120_000);
});
