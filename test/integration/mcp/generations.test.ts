import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupDirs, removeProjects, startDaemon, type Daemon } from "../operator/daemon.js";
import { call, httpClient, IMAGE, text, webProject, type Loose } from "./helpers.js";
import { callModern, modernClient } from "./v2-client.js";

const suffix = Math.random().toString(36).slice(2, 7);
type Result = CallToolResult & { structuredContent?: Loose };
type Caller = (
  name: string,
  args: Record<string, unknown>,
  onprogress?: (p: { progress: number; message?: string }) => void,
) => Promise<Result>;

/** A project whose container prints lines and exits with code 3. */
function exitingProject(name: string): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${name}}
spec:
  containers:
    - name: main
      image: ${IMAGE}
      restartPolicy: Never
      command: ["sh", "-c", "echo booting ${name}; echo 'fatal: config /etc/app.conf missing'; exit 3"]
`;
}

/** A project whose httpGet health check gets a 404. */
function unhealthyProject(name: string): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${name}}
spec:
  containers:
    - name: web
      image: ${IMAGE}
      command: ["sh", "-c", "mkdir -p /www && exec httpd -f -p 8080 -h /www"]
      ports: [{name: http, containerPort: 8080}]
      healthCheck:
        httpGet: {path: /healthz, port: http}
        periodSeconds: 1
        failureThreshold: 2
`;
}

describe("MCP clients of both generations against berth run", () => {
  let daemon: Daemon;
  const created: string[] = [];

  beforeAll(async () => {
    daemon = await startDaemon({ portRange: "29400-29499" });
  });

  afterAll(async () => {
    await daemon?.stop();
    await removeProjects(created.map((n) => `default.${n}`));
    if (daemon) cleanupDirs(daemon.dir, daemon.stateDir);
  });

  /** apply with progress, diagnose, logs, a bulk stop by selector, and delete, for one client. */
  async function lifecycle(gen: string, invoke: Caller): Promise<void> {
    const names = [`gen-${gen}-a-${suffix}`, `gen-${gen}-b-${suffix}`];
    created.push(...names);
    const docs = names
      .map((n) =>
        webProject(n, { lines: `echo started-${n}` }).replace(
          "suite: mcp",
          `suite: mcp, gen: ${gen}${suffix}`,
        ),
      )
      .join("---\n");
    const progress: string[] = [];
    const applied = await invoke("apply_project", { documents: docs, wait: true, timeoutSeconds: 60 }, (p) =>
      progress.push(p.message ?? ""),
    );
    expect(applied.isError, text(applied)).toBeFalsy();
    expect(applied.structuredContent?.wait.outcome).toBe("converged");
    expect(progress.length, "progress notifications").toBeGreaterThan(0);

    const diag = await invoke("diagnose_project", { name: names[0] });
    expect(diag.structuredContent?.healthy, text(diag)).toBe(true);
    expect(text(diag)).toMatch(/Next: Nothing to fix/);

    const logs = await invoke("get_logs", { name: names[0] });
    expect(logs.structuredContent?.lines.map((l: Loose) => l.line)).toContain(`started-${names[0]}`);

    const ran = await invoke("exec_in_container", {
      name: names[0],
      container: "web",
      command: ["sh", "-c", "echo from-exec; exit 2"],
      timeoutSeconds: 20,
    });
    expect(ran.structuredContent?.exitCode, text(ran)).toBe(2);
    expect(ran.structuredContent?.output).toContain("from-exec");

    const stopped = await invoke("set_project_state", {
      selector: `gen=${gen}${suffix}`,
      state: "Stopped",
      wait: true,
      timeoutSeconds: 60,
    });
    expect(stopped.isError, text(stopped)).toBeFalsy();
    expect(stopped.structuredContent?.results.map((r: Loose) => r.name).sort()).toEqual([...names].sort());
    expect(stopped.structuredContent?.wait.projects.map((p: Loose) => p.phase)).toEqual([
      "Stopped",
      "Stopped",
    ]);

    const dry = await invoke("delete_project", { selector: `gen=${gen}${suffix}`, dryRun: true });
    expect(dry.structuredContent?.results.map((r: Loose) => r.action)).toEqual(["deleted", "deleted"]);
    for (const n of names) expect(existsSync(join(daemon.dir, `${n}.yaml`)), n).toBe(true);
  }

  it("a v1 client (2025-11-25, sessions): apply, diagnose, logs, bulk stop, delete with confirm", async () => {
    const client = await httpClient(daemon.url, daemon.token);
    const invoke: Caller = (n, a, p) => call(client, n, a, p);
    await lifecycle("v1", invoke);
    const refused = await invoke("delete_project", { selector: `gen=v1${suffix}` });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/needs confirmation[\s\S]*confirm: true/);
    const deleted = await invoke("delete_project", {
      selector: `gen=v1${suffix}`,
      confirm: true,
      wait: true,
    });
    expect(deleted.isError, text(deleted)).toBeFalsy();
    expect(deleted.structuredContent?.results).toHaveLength(2);
    await client.close();
  });

  it("a v2 client (2026-07-28, stateless): the same, the delete confirmed through elicitation", async () => {
    const client = await modernClient(daemon.url, daemon.token, { confirm: true });
    const invoke: Caller = (n, a, p) => callModern(client, n, a, p);
    await lifecycle("v2", invoke);
    const deleted = await invoke("delete_project", { selector: `gen=v2${suffix}`, wait: true });
    expect(deleted.isError, text(deleted)).toBeFalsy();
    expect(deleted.structuredContent?.results.map((r: Loose) => r.action)).toEqual(["deleted", "deleted"]);
    const declining = await modernClient(daemon.url, daemon.token, { confirm: false });
    const none = await callModern(declining, "delete_project", { names: ["x", "y"] });
    expect(text(none)).toMatch(/declined/);
    await client.close();
    await declining.close();
  });

  it("diagnoses an exit code 3 and a failing health check in one call each, under the bound; closing the stream cancels a wait", async () => {
    const exiting = `diag-exit-${suffix}`;
    const unhealthy = `diag-probe-${suffix}`;
    created.push(exiting, unhealthy);
    const client = await modernClient(daemon.url, daemon.token);
    const applied = await callModern(client, "apply_project", {
      documents: `${exitingProject(exiting)}---\n${unhealthyProject(unhealthy)}`,
    });
    expect(applied.isError, text(applied)).toBeFalsy();
    const waitFor = async (name: string, ok: (r: Result) => boolean): Promise<Result> => {
      const deadline = Date.now() + 40_000;
      for (;;) {
        const r = await callModern(client, "diagnose_project", { name }).catch(() => undefined);
        if (r && ok(r)) return r;
        if (Date.now() > deadline) throw new Error(`no diagnosis of ${name}: ${r ? text(r) : "none"}`);
        await new Promise((res) => setTimeout(res, 500));
      }
    };
    const failed = await waitFor(exiting, (r) => r.structuredContent?.containers[0]?.exitCode === 3);
    const t1 = text(failed);
    console.log(`diagnosis of ${exiting}: ${t1.length} characters\n${t1}`);
    expect(t1.length).toBeLessThanOrEqual(8000);
    expect(t1).toMatch(/exit code 3/);
    expect(failed.structuredContent?.containers[0]?.lastLines).toContain(
      "fatal: config /etc/app.conf missing",
    );
    expect(failed.structuredContent?.nextAction).toMatch(/exited with code 3/);

    const sick = await waitFor(unhealthy, (r) => r.structuredContent?.containers[0]?.health === "unhealthy");
    const t2 = text(sick);
    console.log(`diagnosis of ${unhealthy}: ${t2.length} characters\n${t2}`);
    expect(t2.length).toBeLessThanOrEqual(8000);
    expect(sick.structuredContent?.containers[0]?.probe.check).toBe("httpGet /healthz on port http");
    expect(sick.structuredContent?.containers[0]?.probe.lastResult).toMatch(/\/healthz returned 404/);
    expect(sick.structuredContent?.nextAction).toMatch(/health check of web/);

    // closing the request's stream cancels a long wait: the call ends long before its timeout
    const waits = async () => {
      const res = await fetch(`${daemon.url}/metrics`, {
        headers: { authorization: `Bearer ${daemon.token}` },
      });
      const m = /berth_mcp_tool_duration_seconds_count\{tool="wait_for_project"\} (\d+)/.exec(
        await res.text(),
      );
      return Number(m?.[1] ?? 0);
    };
    const slow = `diag-slow-${suffix}`;
    created.push(slow);
    const starting = unhealthyProject(slow).replace(
      "failureThreshold: 2",
      "failureThreshold: 2\n        initialDelaySeconds: 300",
    );
    expect((await callModern(client, "apply_project", { documents: starting })).isError).toBeFalsy();
    const before = await waits();
    const abort = new AbortController();
    const started = Date.now();
    setTimeout(() => abort.abort(), 1000);
    await expect(
      client.callTool(
        { name: "wait_for_project", arguments: { name: slow, timeoutSeconds: 60 } },
        { signal: abort.signal },
      ),
    ).rejects.toThrow();
    const deadline = Date.now() + 10_000;
    while ((await waits()) < before + 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(await waits(), "the server ended the cancelled wait").toBeGreaterThanOrEqual(before + 1);
    expect(Date.now() - started).toBeLessThan(20_000);
    await client.close();
  }, 120_000);
});

describe("MCP resources and prompts", () => {
  let daemon: Daemon;
  const name = `res-${suffix}`;

  beforeAll(async () => {
    daemon = await startDaemon({ portRange: "29550-29599" });
  });

  afterAll(async () => {
    await daemon?.stop();
    await removeProjects([`default.${name}`]);
    if (daemon) cleanupDirs(daemon.dir, daemon.stateDir);
  });

  it("lists and reads project resources, notifies changes on subscriptions/listen, and offers debug-project", async () => {
    const client = await modernClient(daemon.url, daemon.token);
    const uri = `berth://projects/default/${name}`;
    const updated: string[] = [];
    client.setNotificationHandler("notifications/resources/updated", (n) => {
      updated.push(n.params.uri);
    });
    const sub = await client.listen({ resourcesListChanged: true, resourceSubscriptions: [uri] });
    const applied = await callModern(client, "apply_project", {
      documents: webProject(name, { lines: `echo resource-${name}` }),
      wait: true,
    });
    expect(applied.isError, text(applied)).toBeFalsy();
    const { resources } = await client.listResources(undefined, { cacheMode: "bypass" });
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining([uri, `${uri}/logs`]));
    const status = await client.readResource({ uri }, { cacheMode: "bypass" });
    const body = JSON.parse((status.contents[0] as { text: string }).text) as Loose;
    expect(body.status.phase).toBe("Running");
    const logs = await client.readResource({ uri: `${uri}/logs` }, { cacheMode: "bypass" });
    expect((logs.contents[0] as { text: string }).text).toContain(`resource-${name}`);
    const deadline = Date.now() + 10_000;
    while (!updated.includes(uri) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(sub.honoredFilter.resourceSubscriptions).toEqual([uri]);
    expect(updated).toContain(uri);
    const prompt = await client.getPrompt({ name: "debug-project", arguments: { name } });
    expect(JSON.stringify(prompt.messages)).toMatch(/diagnose_project/);
    await sub.close();
    await client.close();
  });
});

describe("--mcp-read-only", () => {
  it("lists read tools only, refuses a write, and changes nothing", async () => {
    const daemon = await startDaemon({ portRange: "29500-29549", extraArgs: ["--mcp-read-only"] });
    const name = `ro-${suffix}`;
    const file = join(daemon.dir, `${name}.yaml`);
    try {
      writeFileSync(file, webProject(name));
      for (const client of [
        await httpClient(daemon.url, daemon.token),
        await modernClient(daemon.url, daemon.token),
      ]) {
        const { tools } = await client.listTools();
        expect(tools.map((t) => t.name)).toContain("diagnose_project");
        expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
        const before = readFileSync(file, "utf8");
        const r = (await client.callTool({
          name: "set_project_state",
          arguments: { name, state: "Stopped" },
        })) as Result;
        expect(r.isError).toBe(true);
        expect(text(r)).toMatch(/read-only \(--mcp-read-only\); nothing was changed/);
        expect(readFileSync(file, "utf8")).toBe(before);
        await client.close();
      }
    } finally {
      await daemon.stop();
      await removeProjects([`default.${name}`]);
      cleanupDirs(daemon.dir, daemon.stateDir);
    }
  });
});
