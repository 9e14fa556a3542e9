import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  GetTaskResultSchema,
  ListTasksResultSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { cleanupDirs, removeProjects, startDaemon, type Daemon } from "../operator/daemon.js";
import { httpClient, IMAGE, webProject, type Loose } from "./helpers.js";

const EXT = "io.modelcontextprotocol/tasks";
const suffix = Math.random().toString(36).slice(2, 7);
const name = (n: string) => `task-${n}-${suffix}`;

/** A project that never becomes ready within a test: its probe only starts after an hour. */
function neverReady(n: string): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${n}, labels: {suite: mcp-tasks}}
spec:
  containers:
    - name: main
      image: ${IMAGE}
      command: ["sh", "-c", "exec sleep 3600"]
      ports: [{name: http, containerPort: 8080}]
      healthCheck:
        tcpSocket: {port: http}
        initialDelaySeconds: 3600
`;
}

interface RpcReply {
  status: number;
  result?: Loose;
  error?: { code: number; message: string; data?: Loose };
}

/** One 2026-07-28 request, raw: the SDK's typed client has no task vocabulary on this revision. */
async function modern(
  daemon: Daemon,
  method: string,
  params: Record<string, unknown>,
  opts: { tasks?: boolean; headers?: Record<string, string> } = {},
): Promise<RpcReply> {
  const caps = opts.tasks === false ? {} : { extensions: { [EXT]: {} } };
  const nameOf = (params["taskId"] ?? params["name"]) as string | undefined;
  const res = await fetch(`${daemon.url}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": method,
      ...(nameOf !== undefined ? { "mcp-name": nameOf } : {}),
      ...(daemon.token ? { authorization: `Bearer ${daemon.token}` } : {}),
      ...opts.headers,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method,
      params: {
        ...params,
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientCapabilities": caps,
          "io.modelcontextprotocol/clientInfo": { name: "tasks-test", version: "1" },
        },
      },
    }),
  });
  const body = await res.text();
  const json = (res.headers.get("content-type") ?? "").includes("text/event-stream")
    ? body
        .split("\n")
        .filter((l) => l.startsWith("data:"))
        .map((l) => JSON.parse(l.slice(5)) as Loose)
        .find((m) => m["id"] === 1)
    : (JSON.parse(body) as Loose);
  return { status: res.status, ...(json ?? {}) } as RpcReply;
}

async function pollUntil<T>(what: string, fn: () => Promise<T | undefined>, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("MCP tasks for long waits against berth run", () => {
  let daemon: Daemon;
  const created: string[] = [];

  beforeAll(async () => {
    daemon = await startDaemon({ portRange: "29770-29789" });
  });

  afterAll(async () => {
    await daemon?.stop();
    await removeProjects(created.map((n) => `default.${n}`));
    if (daemon) cleanupDirs(daemon.dir, daemon.stateDir);
  });

  describe("2026-07-28, the Tasks extension (stateless)", () => {
    it("advertises the extension, and only the extension", async () => {
      const discover = await modern(daemon, "server/discover", {});
      expect(discover.result?.["capabilities"]?.["extensions"]?.[EXT]).toEqual({});
      expect(discover.result?.["capabilities"]?.["tasks"]).toBeUndefined();
    });

    it("applies a project as a task, polls tasks/get until it is completed with the project Ready", async () => {
      const n = name("apply");
      created.push(n);
      const call = await modern(daemon, "tools/call", {
        name: "apply_project",
        arguments: { documents: webProject(n), wait: true, timeoutSeconds: 60 },
      });
      expect(call.error).toBeUndefined();
      const task = call.result ?? {};
      expect(task).toMatchObject({ resultType: "task", status: "working" });
      expect(task["taskId"]).toMatch(/^[0-9a-f-]{36}$/);
      expect(task["ttlMs"]).toBeGreaterThanOrEqual(60_000);
      expect(task["pollIntervalMs"]).toBe(1000);
      expect(task["ttl"]).toBeUndefined();
      // the spec is saved before the task handle comes back
      expect(existsSync(join(daemon.dir, `${n}.yaml`))).toBe(true);

      const first = await modern(daemon, "tasks/get", { taskId: task["taskId"] });
      expect(first.result).toMatchObject({ resultType: "complete", taskId: task["taskId"] });

      const done = await pollUntil("the apply task", async () => {
        const got = await modern(daemon, "tasks/get", { taskId: task["taskId"] });
        return got.result?.["status"] === "working" ? undefined : got.result;
      });
      expect(done["status"]).toBe("completed");
      const result = done["result"] as Loose;
      expect(result["isError"]).toBeUndefined();
      expect(result["content"][0].text).toMatch(/^default\/task-apply-\w+: created/);
      expect(result["content"][0].text).toMatch(/\nReady: /);
      expect(result["structuredContent"].wait).toMatchObject({
        outcome: "converged",
        projects: [{ name: n, phase: "Running" }],
      });
      expect(result["_meta"]?.["io.modelcontextprotocol/related-task"]).toBeUndefined();

      const project = await modern(daemon, "tools/call", { name: "get_project", arguments: { name: n } });
      expect(project.result?.["structuredContent"]).toMatchObject({ phase: "Running" });
    });

    it("cancels a task: the wait stops, the saved spec stays", async () => {
      const n = name("cancel");
      created.push(n);
      const call = await modern(daemon, "tools/call", {
        name: "apply_project",
        arguments: { documents: neverReady(n), wait: true, timeoutSeconds: 300 },
      });
      const taskId = call.result?.["taskId"] as string;
      expect(call.result?.["resultType"]).toBe("task");
      const working = await modern(daemon, "tasks/get", { taskId });
      expect(working.result?.["status"]).toBe("working");

      const cancel = await modern(daemon, "tasks/cancel", { taskId });
      expect(cancel.error).toBeUndefined();
      expect(cancel.result).toMatchObject({ resultType: "complete" });
      expect(cancel.result?.["status"]).toBeUndefined();
      const cancelled = await modern(daemon, "tasks/get", { taskId });
      expect(cancelled.result).toMatchObject({ status: "cancelled" });
      expect(cancelled.result?.["result"]).toBeUndefined();
      // cancelling again is acknowledged; only an unknown id is an error
      expect((await modern(daemon, "tasks/cancel", { taskId })).error).toBeUndefined();

      expect(existsSync(join(daemon.dir, `${n}.yaml`))).toBe(true);
      const project = await modern(daemon, "tools/call", { name: "get_project", arguments: { name: n } });
      expect(project.result?.["isError"]).toBeUndefined();
      expect(project.result?.["structuredContent"]).toMatchObject({ name: n });
    });

    it("answers directly without the extension, or when the call does not wait", async () => {
      const n = name("plain");
      created.push(n);
      const plain = await modern(
        daemon,
        "tools/call",
        { name: "apply_project", arguments: { documents: webProject(n), wait: true, timeoutSeconds: 60 } },
        { tasks: false },
      );
      expect(plain.result?.["resultType"]).toBe("complete");
      expect(plain.result?.["taskId"]).toBeUndefined();
      expect(plain.result?.["structuredContent"].wait.outcome).toBe("converged");

      const noWait = await modern(daemon, "tools/call", {
        name: "patch_project",
        arguments: { name: n, patch: { metadata: { labels: { touched: "yes" } } } },
      });
      expect(noWait.result).toMatchObject({ resultType: "complete" });
      expect(noWait.result?.["taskId"]).toBeUndefined();

      const unknown = await modern(daemon, "tools/call", {
        name: "wait_for_project",
        arguments: { name: name("missing"), timeoutSeconds: 5 },
      });
      expect(unknown.result).toMatchObject({ resultType: "complete", isError: true });
    });

    it("gates tasks/* on the extension, keeps tasks per caller, and has no tasks/list or tasks/result", async () => {
      const n = name("scope");
      created.push(n);
      const call = await modern(daemon, "tools/call", {
        name: "apply_project",
        arguments: { documents: neverReady(n), wait: true, timeoutSeconds: 300 },
      });
      const taskId = call.result?.["taskId"] as string;
      expect(taskId).toBeDefined();

      const undeclared = await modern(daemon, "tasks/get", { taskId }, { tasks: false });
      expect(undeclared.error?.code).toBe(-32021);
      expect(undeclared.error?.data?.["requiredCapabilities"]).toEqual({ extensions: { [EXT]: {} } });

      // the same token narrowed to read-only is another caller: it neither sees nor cancels the task
      const readOnly = { "x-berth-mcp-read-only": "true" };
      expect((await modern(daemon, "tasks/get", { taskId }, { headers: readOnly })).error?.code).toBe(-32602);
      expect((await modern(daemon, "tasks/cancel", { taskId }, { headers: readOnly })).error?.code).toBe(
        -32602,
      );
      expect((await modern(daemon, "tasks/get", { taskId })).result?.["status"]).toBe("working");

      expect((await modern(daemon, "tasks/get", { taskId: "no-such-task" })).error?.code).toBe(-32602);
      expect((await modern(daemon, "tasks/list", {})).error?.code).toBe(-32601);
      expect((await modern(daemon, "tasks/result", { taskId })).error?.code).toBe(-32601);
      const update = await modern(daemon, "tasks/update", { taskId, inputResponses: {} });
      expect(update.result).toMatchObject({ resultType: "complete" });
      expect((await modern(daemon, "tasks/cancel", { taskId })).error).toBeUndefined();
    });
  });

  describe("2025-11-25, core tasks (a v1 SDK session)", () => {
    let client: Client;
    const statuses: Loose[] = [];

    beforeAll(async () => {
      client = await httpClient(daemon.url, daemon.token, "tasks-v1");
      client.setNotificationHandler(
        z.object({ method: z.literal("notifications/tasks/status"), params: z.looseObject({}) }),
        (n) => void statuses.push(n.params),
      );
    });

    afterAll(async () => {
      await client?.close();
    });

    it("declares tasks for tools/call and lists the waiting tools as task-capable", async () => {
      expect(client.getServerCapabilities()?.tasks).toEqual({
        list: {},
        cancel: {},
        requests: { tools: { call: {} } },
      });
      const { tools } = await client.listTools();
      const support = Object.fromEntries(tools.map((t) => [t.name, t.execution?.taskSupport]));
      expect(support["apply_project"]).toBe("optional");
      expect(support["wait_for_project"]).toBe("optional");
      expect(support["get_project"]).toBeUndefined();
    });

    it("applies as a task, tasks/result blocks until the project is Ready, tasks/list shows it", async () => {
      const n = name("legacy");
      created.push(n);
      const created1 = await client.request(
        {
          method: "tools/call",
          params: {
            name: "apply_project",
            arguments: { documents: webProject(n), wait: true, timeoutSeconds: 60 },
            task: { ttl: 120_000 },
          },
        },
        CreateTaskResultSchema,
      );
      const taskId = created1.task.taskId;
      expect(created1.task).toMatchObject({ status: "working", ttl: 120_000, pollInterval: 1000 });

      const got = await client.request({ method: "tasks/get", params: { taskId } }, GetTaskResultSchema);
      expect(got.taskId).toBe(taskId);

      const result = await client.request(
        { method: "tasks/result", params: { taskId } },
        CallToolResultSchema,
        { timeout: 90_000 },
      );
      expect(result._meta?.["io.modelcontextprotocol/related-task"]).toEqual({ taskId });
      expect(result.isError).toBeUndefined();
      expect((result.structuredContent as Loose)["wait"]).toMatchObject({
        outcome: "converged",
        projects: [{ name: n, phase: "Running" }],
      });
      const after = await client.request({ method: "tasks/get", params: { taskId } }, GetTaskResultSchema);
      expect(after.status).toBe("completed");

      const listed = await client.request({ method: "tasks/list", params: {} }, ListTasksResultSchema);
      expect(listed.tasks.map((t) => t.taskId)).toContain(taskId);

      const heard = await pollUntil("the status notification", async () =>
        statuses.find((s) => s["taskId"] === taskId),
      );
      expect(heard["status"]).toBe("completed");
    });

    it("cancels a task, and refuses to cancel it twice or to run a tool that does not wait", async () => {
      const n = name("legacy-cancel");
      created.push(n);
      const created1 = await client.request(
        {
          method: "tools/call",
          params: {
            name: "apply_project",
            arguments: { documents: neverReady(n), wait: true, timeoutSeconds: 300 },
            task: {},
          },
        },
        CreateTaskResultSchema,
      );
      const taskId = created1.task.taskId;
      const cancelled = await client.request(
        { method: "tasks/cancel", params: { taskId } },
        GetTaskResultSchema,
      );
      expect(cancelled).toMatchObject({ taskId, status: "cancelled" });
      await expect(
        client.request({ method: "tasks/cancel", params: { taskId } }, GetTaskResultSchema),
      ).rejects.toMatchObject({ code: -32602 });
      await expect(
        client.request({ method: "tasks/result", params: { taskId } }, CallToolResultSchema),
      ).rejects.toMatchObject({ code: -32602 });
      expect(existsSync(join(daemon.dir, `${n}.yaml`))).toBe(true);

      await expect(
        client.request(
          { method: "tools/call", params: { name: "get_project", arguments: { name: n }, task: {} } },
          CreateTaskResultSchema,
        ),
      ).rejects.toMatchObject({ code: -32601 });
    });
  });
});
