import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanupDirs,
  docker,
  eventually,
  removeProjects,
  startDaemon,
  type Daemon,
} from "../operator/daemon.js";
import { call, failure, httpClient, text, webProject } from "./helpers.js";

/** The daemon's own token, read from its state directory as the CLI does. */
let TOKEN = "";
const suffix = Math.random().toString(36).slice(2, 7);
const name = (n: string) => `mcp-${n}-${suffix}`;

describe("MCP over Streamable HTTP on berth run", () => {
  let daemon: Daemon;
  let client: Client;
  const created: string[] = [];

  beforeAll(async () => {
    daemon = await startDaemon({ portRange: "29100-29299" });
    TOKEN = daemon.token ?? "";
    client = await httpClient(daemon.url, TOKEN);
  });

  afterAll(async () => {
    await client?.close();
    await daemon?.stop();
    await removeProjects(created.map((n) => `default.${n}`));
    if (daemon) cleanupDirs(daemon.dir, daemon.stateDir);
  });

  it("refuses a request without the token, and a foreign Origin or Host", async () => {
    const init = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    };
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    const post = (extra: Record<string, string>) =>
      fetch(`${daemon.url}/mcp`, {
        method: "POST",
        headers: { ...headers, ...extra },
        body: JSON.stringify(init),
      });
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: "Bearer wrong" })).status).toBe(401);
    const auth = { authorization: `Bearer ${TOKEN}` };
    const foreign = await post({ ...auth, origin: "http://evil.example" });
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).toMatch(/evil\.example/);
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${daemon.url}/mcp`,
        {
          method: "POST",
          headers: { ...headers, ...auth, host: `evil.example:${new URL(daemon.url).port}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify(init));
    });
    expect(rebound).toBe(403);
    // a page on another loopback port is another origin too (and a browser would need CORS, never granted)
    const otherPort = await post({ ...auth, origin: "http://localhost:3000" });
    expect(otherPort.status).toBe(403);
    const sameOrigin = await post({ ...auth, origin: daemon.url });
    expect(sameOrigin.status).toBe(200);
    const program = await post(auth);
    expect(program.status).toBe(200);
    expect(program.headers.get("mcp-session-id")).toBeTruthy();
  });

  it("lists every tool with schemas and all four annotations", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      [
        "apply_project",
        "delete_project",
        "diagnose_project",
        "exec_in_container",
        "get_logs",
        "get_metrics",
        "get_project",
        "get_syncs",
        "import_compose",
        "list_projects",
        "patch_project",
        "restart_project",
        "set_project_state",
        "validate_project",
        "wait_for_project",
      ].sort(),
    );
    for (const t of tools) {
      expect(t.description?.length, t.name).toBeGreaterThan(60);
      expect(t.outputSchema, t.name).toBeDefined();
      expect(t.inputSchema.additionalProperties, t.name).toBe(false);
      for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const) {
        expect(typeof t.annotations?.[hint], `${t.name}.${hint}`).toBe("boolean");
      }
    }
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect(byName.get("get_logs")?.annotations?.readOnlyHint).toBe(true);
    expect(byName.get("delete_project")?.annotations?.destructiveHint).toBe(true);
    expect(byName.get("restart_project")?.annotations?.idempotentHint).toBe(false);
  });

  it("answers unknown tools, malformed arguments and oversized input with protocol errors", async () => {
    await expect(client.callTool({ name: "no_such_tool", arguments: {} })).rejects.toThrow(
      /-32602.*unknown tool "no_such_tool".*list_projects/,
    );
    await expect(client.callTool({ name: "get_project", arguments: { nme: "x" } })).rejects.toThrow(
      /-32602.*invalid arguments for get_project: name/,
    );
    await expect(client.callTool({ name: "get_logs", arguments: { name: "x", tail: -1 } })).rejects.toThrow(
      /invalid arguments for get_logs: tail/,
    );
    const big = "#".repeat(1024 * 1024 + 10);
    await expect(
      client.callTool({ name: "validate_project", arguments: { documents: big } }),
    ).rejects.toThrow(/over the limit of 1048576/);
  });

  it("validates without writing, naming field path and line", async () => {
    const bad = webProject(name("bad")).replace("containerPort: 8080", "containerPort: 70000");
    const r = await call(client, "validate_project", { documents: bad });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent?.valid).toBe(false);
    expect(r.structuredContent?.errors[0]).toMatchObject({
      path: "spec.containers[0].ports[0].containerPort",
      line: 12,
    });
    expect(text(r)).toMatch(/line 12:\d+ spec\.containers\[0\]\.ports\[0\]\.containerPort: 70000/);
    const ok = await call(client, "validate_project", { documents: webProject(name("ok")) });
    expect(ok.structuredContent?.valid).toBe(true);
    expect((await call(client, "list_projects", {})).structuredContent?.count).toBe(0);
  });

  it("applies a project, waits for it with progress, and its port answers HTTP", async () => {
    const web = name("web");
    created.push(web);
    const lines = "for i in 1 2 3 4 5; do echo line-$i; done; echo oops >&2";
    const applied = await call(client, "apply_project", { documents: webProject(web, { lines }) });
    expect(applied.isError).toBeFalsy();
    expect(applied.structuredContent?.results[0]).toMatchObject({
      name: web,
      action: "created",
      generation: 1,
    });
    expect(readFileSync(join(daemon.dir, `${web}.yaml`), "utf8")).toContain(`name: ${web}`);
    const progress: string[] = [];
    const waited = await call(client, "wait_for_project", { name: web }, (p) =>
      progress.push(p.message ?? ""),
    );
    expect(text(waited)).toMatch(/^Ready: Running/);
    expect(waited.isError).toBeFalsy();
    expect(progress.length).toBeGreaterThan(0);
    const port = waited.structuredContent?.projects[0].ports[0];
    expect(port.hostPort).toBeGreaterThanOrEqual(29100);
    expect(port.hostPort).toBeLessThanOrEqual(29299);
    const body = await eventually(async () => {
      const res = await fetch(port.url);
      return res.ok ? res.text() : undefined;
    });
    expect(body.trim()).toBe(`hello-${web}`);

    const got = await call(client, "get_project", { name: web });
    expect(got.structuredContent).toMatchObject({ phase: "Running", state: "Running", generation: 1 });
    expect(text(got)).toContain(`port web/http: ${port.url}`);
    const detailed = await call(client, "get_project", { name: `default/${web}`, format: "detailed" });
    expect(detailed.structuredContent?.spec.containers[0].name).toBe("web");
    expect(detailed.structuredContent?.conditions.length).toBeGreaterThan(0);

    const listed = await call(client, "list_projects", { labelSelector: "suite=mcp", phase: "Running" });
    expect(listed.structuredContent?.projects.map((p: { name: string }) => p.name)).toContain(web);
    expect(
      (await call(client, "list_projects", { labelSelector: "suite=other" })).structuredContent?.count,
    ).toBe(0);
  });

  it("reads logs with filters and a cursor, and metrics", async () => {
    const web = name("web");
    const all = await eventually(async () => {
      const r = await call(client, "get_logs", { name: web });
      return r.structuredContent?.lines.length >= 6 ? r : undefined;
    });
    expect(text(all)).toMatch(/web \(stderr\): oops/);
    const stdout = await call(client, "get_logs", { name: web, stream: "stdout" });
    expect(stdout.structuredContent?.lines.map((l: { line: string }) => l.line)).toEqual([
      "line-1",
      "line-2",
      "line-3",
      "line-4",
      "line-5",
    ]);
    const grep = await call(client, "get_logs", { name: web, grep: "line-[24]", tail: 1 });
    expect(grep.structuredContent?.lines.map((l: { line: string }) => l.line)).toEqual(["line-4"]);
    const stderr = await call(client, "get_logs", { name: web, stream: "stderr" });
    expect(stderr.structuredContent?.lines).toHaveLength(1);
    const first = await call(client, "get_logs", { name: web, tail: 6 });
    expect(first.structuredContent?.lines).toHaveLength(6);
    const next = await call(client, "get_logs", { name: web, cursor: first.structuredContent?.nextCursor });
    expect(next.structuredContent?.lines).toEqual([]);
    const badGrep = await call(client, "get_logs", { name: web, grep: "(" });
    expect(badGrep.isError).toBe(true);
    expect(text(badGrep)).toMatch(/grep: invalid regular expression at position 1/);

    const metrics = await eventually(async () => {
      const r = await call(client, "get_metrics", { name: web });
      return r.structuredContent?.containers[0]?.latest ? r : undefined;
    }, 30_000);
    const c = metrics.structuredContent?.containers[0];
    expect(c.container).toBe("web");
    expect(c.latest.memoryWorkingSetBytes).toBeGreaterThan(0);
    expect(c.window.samples).toBeGreaterThan(0);
  });

  it("truncates big log answers and continues with the cursor", async () => {
    const noisy = name("noisy");
    created.push(noisy);
    const lines = 'i=0; while [ $i -lt 400 ]; do echo "n-$i $(printf %0100d 0)"; i=$((i+1)); done';
    const r = await call(client, "apply_project", { documents: webProject(noisy, { lines }), wait: true });
    expect(r.isError).toBeFalsy();
    // all 400 lines are kept before the first page is read (the container may still be writing)
    await eventually(async () => {
      const last = await call(client, "get_logs", { name: noisy, grep: "^n-399 ", tail: 1 });
      return last.structuredContent?.lines.length === 1 ? true : undefined;
    });
    const page = await call(client, "get_logs", { name: noisy, tail: 400 });
    expect(page.structuredContent?.truncated).toBe(true);
    expect(text(page).length).toBeLessThan(21_000);
    expect(page.structuredContent?.hint).toMatch(/narrow the query/);
    const seen: string[] = page.structuredContent?.lines.map((l: { line: string }) => l.line.split(" ")[0]);
    let cursor = page.structuredContent?.nextCursor;
    for (let i = 0; i < 10 && seen.length < 400; i++) {
      const more = await call(client, "get_logs", { name: noisy, tail: 400, cursor });
      const lines: Array<{ line: string }> = more.structuredContent?.lines ?? [];
      seen.push(...lines.map((l) => l.line.split(" ")[0] ?? ""));
      cursor = more.structuredContent?.nextCursor;
    }
    expect(seen).toEqual(Array.from({ length: 400 }, (_, i) => `n-${i}`));
  });

  it("patches env keeping comments, replaces the container, and reports stale versions", async () => {
    const web = name("web");
    const file = join(daemon.dir, `${web}.yaml`);
    const commented = readFileSync(file, "utf8")
      .replace("spec:\n", "spec:  # what runs\n")
      .replace("    - name: web\n", "    # the web server\n    - name: web   # serves /\n");
    writeFileSync(file, commented);
    const before = await eventually(async () => {
      const g = await call(client, "get_project", { name: web });
      return g.structuredContent?.generation === 1 && g.structuredContent.phase === "Running" ? g : undefined;
    });
    const oldId = (await docker().getContainer(`berth-default-${web}-web`).inspect()).Id;
    const rv = before.structuredContent?.resourceVersion;
    const patched = await call(client, "patch_project", {
      name: web,
      resourceVersion: rv,
      patch: { spec: { containers: { web: { env: { GREETING: "hi" } } } } },
      wait: true,
    });
    expect(patched.isError, text(patched)).toBeFalsy();
    expect(patched.structuredContent?.results[0]).toMatchObject({ action: "updated", generation: 2 });
    expect(patched.structuredContent?.wait.outcome).toBe("converged");
    const after = readFileSync(file, "utf8");
    const removed = commented.split("\n").filter((l) => !after.split("\n").includes(l));
    const added = after.split("\n").filter((l) => !commented.split("\n").includes(l));
    expect(removed).toEqual([]);
    expect(added).toEqual(["      env:", "        - name: GREETING", "          value: hi"]);
    const newId = (await docker().getContainer(`berth-default-${web}-web`).inspect()).Id;
    expect(newId).not.toBe(oldId);

    const stale = await call(client, "patch_project", {
      name: web,
      resourceVersion: rv,
      patch: { spec: { containers: { web: { env: { GREETING: "stale" } } } } },
    });
    expect(stale.isError).toBe(true);
    expect(failure(stale)).toMatchObject({
      code: "Conflict",
      currentResourceVersion: patched.structuredContent?.results[0].resourceVersion,
    });
    expect(text(stale)).toMatch(/changed by someone else.*How to fix: read it again with get_project/s);
    expect(readFileSync(file, "utf8")).toBe(after);

    const invalid = await call(client, "patch_project", {
      name: web,
      patch: { spec: { containers: { web: { ports: { http: { containerPort: 0 } } } } } },
    });
    expect(invalid.isError).toBe(true);
    expect(failure(invalid).code).toBe("SpecInvalid");
    expect(text(invalid)).toMatch(
      /:\d+:\d+ spec\.containers\[0\]\.ports\[0\]\.containerPort: 0 is below the minimum/,
    );
    const renamed = await call(client, "patch_project", { name: web, patch: { metadata: { name: "x" } } });
    expect(renamed.isError).toBe(true);
    expect(text(renamed)).toMatch(/not metadata\.name/);
  });

  it("never loses a patch from 20 concurrent clients", async () => {
    const web = name("web");
    const clients = await Promise.all(
      Array.from({ length: 20 }, (_, i) => httpClient(daemon.url, TOKEN, `c${i}`)),
    );
    try {
      const outcomes = await Promise.all(
        clients.map(async (c, i) => {
          const got = await call(c, "get_project", { name: web });
          const r = await call(c, "patch_project", {
            name: web,
            resourceVersion: got.structuredContent?.resourceVersion,
            patch: { spec: { containers: { web: { env: { [`CLIENT_${i}`]: String(i) } } } } },
          });
          if (!r.isError) return { i, applied: true };
          expect(failure(r).code, text(r)).toBe("Conflict");
          return { i, applied: false };
        }),
      );
      const applied = outcomes.filter((o) => o.applied).map((o) => o.i);
      expect(applied.length).toBeGreaterThanOrEqual(1);
      const file = readFileSync(join(daemon.dir, `${web}.yaml`), "utf8");
      for (const o of outcomes) {
        // CLIENT_1 must not match CLIENT_10
        const present = new RegExp(`\\bCLIENT_${o.i}\\b`).test(file);
        expect(present, `client ${o.i} applied=${o.applied}`).toBe(o.applied);
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it("stops, starts and restarts a project", async () => {
    const web = name("web");
    const settled = await call(client, "wait_for_project", { name: web, timeoutSeconds: 60 });
    expect(settled.isError, text(settled)).toBeFalsy();
    const stopped = await call(client, "set_project_state", { name: web, state: "Stopped", wait: true });
    expect(stopped.isError, text(stopped)).toBeFalsy();
    expect(stopped.structuredContent?.wait.projects[0].phase).toBe("Stopped");
    expect((await docker().getContainer(`berth-default-${web}-web`).inspect()).State.Running).toBe(false);
    const again = await call(client, "set_project_state", { name: web, state: "Stopped" });
    expect(again.structuredContent?.results[0].action).toBe("unchanged");
    const running = await call(client, "set_project_state", { name: web, state: "Running", wait: true });
    expect(running.structuredContent?.wait.outcome).toBe("converged");
    const startedBefore = (await docker().getContainer(`berth-default-${web}-web`).inspect()).State.StartedAt;
    const restarted = await call(client, "restart_project", { name: web, wait: true });
    expect(restarted.isError, text(restarted)).toBeFalsy();
    const startedAfter = (await docker().getContainer(`berth-default-${web}-web`).inspect()).State.StartedAt;
    expect(Date.parse(startedAfter)).toBeGreaterThan(Date.parse(startedBefore));
  });

  it("plans a dry run from the observed containers and reports partial failures", async () => {
    const web = name("web");
    const current = readFileSync(join(daemon.dir, `${web}.yaml`), "utf8");
    const changed = current.replace(/image: .*/, "image: berth-test/busybox:2");
    const dry = await call(client, "apply_project", { documents: changed, dryRun: true });
    expect(dry.isError, text(dry)).toBeFalsy();
    const plan = dry.structuredContent?.results[0].plan;
    expect(plan.containers).toEqual([{ name: "web", action: "replace", reason: "image changed" }]);
    expect(plan.ports[0]).toMatchObject({ name: "http", source: "kept" });
    const same = await call(client, "apply_project", { documents: current, dryRun: true });
    expect(same.structuredContent?.results[0]).toMatchObject({ action: "unchanged" });
    expect(same.structuredContent?.results[0].plan.containers).toEqual([{ name: "web", action: "keep" }]);
    expect(readFileSync(join(daemon.dir, `${web}.yaml`), "utf8")).toBe(current);

    const good = name("good");
    created.push(good);
    const bad = webProject(name("broken")).replace("image: ", "imagee: ");
    const mixed = await call(client, "apply_project", { documents: `${webProject(good)}---\n${bad}` });
    expect(mixed.isError).toBe(true);
    expect(mixed.structuredContent?.results.map((r: { name: string }) => r.name)).toEqual([good]);
    expect(mixed.structuredContent?.failures[0].errors.join("\n")).toMatch(
      /documents:22:\d+ spec\.containers\[0\]\.imagee: unknown field "imagee"/,
    );
    expect(text(mixed)).toMatch(/1 of 2 project\(s\) failed/);
  });

  it("deletes a project and suggests close names for unknown ones", async () => {
    const good = name("good");
    const deleted = await call(client, "delete_project", { name: good, wait: true });
    expect(deleted.isError, text(deleted)).toBeFalsy();
    expect(deleted.structuredContent?.results[0].action).toBe("deleted");
    const missing = await call(client, "get_project", { name: name("wbe") });
    expect(missing.isError).toBe(true);
    expect(failure(missing).suggestions).toContain(`default/${name("web")}`);
    expect(text(missing)).toMatch(/not found; did you mean/);
    const timeout = await call(client, "wait_for_project", { name: name("web"), timeoutSeconds: 1 });
    expect(timeout.isError).toBeFalsy(); // already Ready
    const metrics = await (
      await fetch(`${daemon.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).text();
    expect(metrics).toMatch(/berth_mcp_tool_calls_total\{tool="patch_project",result="ok"\} \d+/);
    expect(metrics).toMatch(/berth_mcp_tool_calls_total\{tool="unknown",result="protocol_error"\} 1/);
    expect(metrics).toMatch(/berth_mcp_tool_duration_seconds_count\{tool="get_project"\} \d+/);
  });
});
