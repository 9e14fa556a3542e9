import { request } from "node:http";
import { Counter, Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { InsecureBindError } from "../../../src/http/errors.js";
import { startHttpServer, type HttpServerHandle, type HttpServerOptions } from "../../../src/http/server.js";
import type { ErrorBody, WaitLine } from "../../../src/http/wire.js";
import type { LogFields, Logger } from "../../../src/util/logger.js";
import { FakeApi } from "../../helpers/fake-service.js";

interface LogLine {
  level: string;
  msg: string;
  fields?: LogFields;
}

function memoryLogger(lines: LogLine[]): Logger {
  const log = (level: string) => (msg: string, fields?: LogFields) =>
    void lines.push({ level, msg, ...(fields ? { fields } : {}) });
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

describe("HTTP server", () => {
  const servers: HttpServerHandle[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function start(over: Partial<HttpServerOptions> = {}) {
    const api = new FakeApi();
    const logs: LogLine[] = [];
    const registry = new Registry();
    new Counter({ name: "berth_test_total", help: "a test counter", registers: [registry] }).inc(3);
    let ready = false;
    const server = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      registry,
      service: api,
      logger: memoryLogger(logs),
      ready: () => ready,
      auth: "none",
      ...over,
    });
    servers.push(server);
    const url = server.address.url;
    // Writes declare their media type, as the CLI does (a bare string body would be text/plain).
    const call = (path: string, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      if (init?.body !== undefined && !headers.has("content-type"))
        headers.set("content-type", "application/yaml");
      return fetch(`${url}${path}`, { ...init, headers });
    };
    return { api, logs, server, url, call, setReady: (r: boolean) => (ready = r) };
  }

  const errorOf = async (res: Response) => ((await res.json()) as ErrorBody).error;

  it("serves /healthz, /readyz and /metrics", async () => {
    const { call, setReady } = await start();
    expect(await (await call("/healthz")).text()).toBe("ok\n");
    const notReady = await call("/readyz");
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toMatch(/^not ready: /);
    setReady(true);
    expect((await call("/readyz")).status).toBe(200);
    const metrics = await call("/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toBe(new Registry().contentType);
    expect(await metrics.text()).toContain("berth_test_total 3");
  });

  it("lists and gets projects, passing the filters through", async () => {
    const { call, api } = await start();
    const list = await call("/api/v1/projects?namespace=default&labelSelector=team%3Dweb&phase=Running");
    expect(list.status).toBe(200);
    expect(list.headers.get("content-type")).toMatch(/^application\/json/);
    expect(((await list.json()) as { items: { name: string }[] }).items.map((v) => v.name)).toEqual(["web"]);
    expect(api.calls[0]).toEqual({
      method: "list",
      args: [{ namespace: "default", labelSelector: "team=web", phase: "Running" }],
    });
    expect(((await (await call("/api/v1/projects/default/web")).json()) as { name: string }).name).toBe(
      "web",
    );
    const missing = await call("/api/v1/projects/default/nope");
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toMatchObject({
      code: "NotFound",
      message: expect.stringContaining("default/nope") as unknown,
      hint: expect.any(String) as unknown,
    });
    const bad = await call("/api/v1/projects?labelSelector=bad");
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).code).toBe("BadRequest");
  });

  it("serves /api/v1/errors and /api/v1/info", async () => {
    const { call } = await start();
    expect(((await (await call("/api/v1/errors")).json()) as { errors: unknown[] }).errors).toHaveLength(1);
    expect(await (await call("/api/v1/info")).json()).toMatchObject({
      version: "0.0.0-test",
      pid: 42,
      ready: true,
    });
  });

  it("answers unknown paths with 404 and wrong methods with 405 and Allow", async () => {
    const { call } = await start();
    expect((await call("/nope")).status).toBe(404);
    const wrong = await call("/api/v1/projects/default/web", { method: "PATCH" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, DELETE");
    expect((await errorOf(wrong)).code).toBe("MethodNotAllowed");
  });

  it("applies YAML bodies, with dry run and If-Match, and rejects invalid specs with structured errors", async () => {
    const { call, api } = await start();
    const ok = await call("/api/v1/projects?dryRun=true", {
      method: "POST",
      body: "kind: Project\n",
      headers: { "if-match": '"abc"' },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      dryRun: true,
      results: [{ key: "default/web", action: "updated" }],
    });
    expect(api.calls[0]).toEqual({
      method: "apply",
      args: ["kind: Project\n", { dryRun: true, expectedHash: "abc" }],
    });
    const invalid = await call("/api/v1/projects", { method: "POST", body: "invalid: true\n" });
    expect(invalid.status).toBe(400);
    const error = await errorOf(invalid);
    expect(error.code).toBe("SpecInvalid");
    expect(error.details?.errors?.[0]).toMatchObject({ file: "request", line: 4, column: 3, path: "spec" });
  });

  it("applies per project with ?atomic=false, listing each failure with its error", async () => {
    const { call, api } = await start();
    const res = await call("/api/v1/projects?atomic=false", { method: "POST", body: "partly\n" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      dryRun: false,
      results: [expect.objectContaining({ key: "default/web", action: "updated" })],
      failures: [
        {
          project: "default/bad",
          error: expect.objectContaining({
            code: "Conflict",
            message: expect.stringContaining("default/bad was changed") as unknown,
          }) as unknown,
        },
      ],
    });
    expect(api.calls[0]).toEqual({ method: "apply", args: ["partly\n", { dryRun: false, atomic: false }] });
    const atomic = await call("/api/v1/projects?atomic=true", { method: "POST", body: "partly\n" });
    expect(await atomic.json()).toEqual({
      dryRun: false,
      results: [expect.objectContaining({ action: "updated" })],
    });
    expect(api.calls[1]).toEqual({ method: "apply", args: ["partly\n", { dryRun: false }] });
    const bad = await call("/api/v1/projects?atomic=maybe", { method: "POST", body: "x\n" });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).message).toMatch(/atomic/);
  });

  it("refuses simple cross-site writes before the service sees them", async () => {
    const { call, api } = await start();
    const plain = await call("/api/v1/projects", {
      method: "POST",
      body: "kind: Project\n",
      headers: { "content-type": "text/plain", origin: "http://evil.example" },
    });
    expect(plain.status).toBe(403);
    const form = await call("/api/v1/projects", {
      method: "POST",
      body: "a=b",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
    expect((await errorOf(form)).code).toBe("UnsupportedMediaType");
    expect(api.calls).toEqual([]);
  });

  it("refuses bodies over the limit with 413, by Content-Length or while streaming", async () => {
    const { call, url } = await start({ maxBodyBytes: 1024 });
    const big = await call("/api/v1/projects", { method: "POST", body: "x".repeat(1025) });
    expect(big.status).toBe(413);
    expect((await errorOf(big)).code).toBe("PayloadTooLarge");
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${url}/api/v1/projects`,
        { method: "POST", headers: { "transfer-encoding": "chunked", "content-type": "application/yaml" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      for (let i = 0; i < 4; i++) req.write("y".repeat(512));
      req.end();
    });
    expect(status).toBe(413);
  });

  it("refuses 1 MiB + 1 byte by default", async () => {
    const { call } = await start();
    expect(
      (await call("/api/v1/projects", { method: "POST", body: "z".repeat(1024 * 1024 + 1) })).status,
    ).toBe(413);
  });

  it("deletes, sets the state and restarts; maps not found and conflicts", async () => {
    const { call, api } = await start();
    expect((await call("/api/v1/projects/default/web", { method: "DELETE" })).status).toBe(200);
    const put = await call("/api/v1/projects/prod/db/state", {
      method: "PUT",
      body: JSON.stringify({ state: "Stopped" }),
    });
    expect(await put.json()).toMatchObject({ results: [{ key: "prod/db" }] });
    expect((await call("/api/v1/projects/default/web/restart", { method: "POST" })).status).toBe(200);
    expect(api.calls.map((c) => c.method)).toEqual(["delete", "setState", "restart"]);
    expect(api.calls[1]?.args).toEqual(["prod", "db", "Stopped", { dryRun: false }]);
    expect((await call("/api/v1/projects/default/missing", { method: "DELETE" })).status).toBe(404);
    const stale = await call("/api/v1/projects/default/web/restart", {
      method: "POST",
      headers: { "if-match": '"stale"' },
    });
    expect(stale.status).toBe(409);
    expect((await errorOf(stale)).hint).toMatch(/retry/);
    const badState = await call("/api/v1/projects/default/web/state", {
      method: "PUT",
      body: '{"state":"Paused"}',
    });
    expect(badState.status).toBe(400);
    expect(
      (await call("/api/v1/projects/default/web/state", { method: "PUT", body: "Stopped" })).status,
    ).toBe(400);
    expect(
      (await call("/api/v1/projects/default/web?timeout=forever&wait=true", { method: "DELETE" })).status,
    ).toBe(400);
  });

  it("streams NDJSON progress until the wait ends", async () => {
    const { call, api } = await start();
    api.wait = async (_results, options) => {
      options.onProgress?.("Progressing: pulling");
      await new Promise((r) => setTimeout(r, 20));
      options.onProgress?.("Progressing: starting");
      return { outcome: "failed", message: "Failed: ImageNotFound" };
    };
    const res = await call("/api/v1/projects/default/web/restart?wait=true&timeout=2m", { method: "POST" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const lines = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as WaitLine);
    expect(lines).toEqual([
      { progress: "default/web updated in /specs/web.yaml" },
      { progress: "Progressing: pulling" },
      { progress: "Progressing: starting" },
      {
        result: {
          dryRun: false,
          results: [
            {
              key: "default/web",
              namespace: "default",
              name: "web",
              file: "/specs/web.yaml",
              action: "updated",
              dryRun: false,
            },
          ],
          wait: { outcome: "failed", message: "Failed: ImageNotFound" },
        },
      },
    ]);
    expect(api.calls.find((c) => c.method === "waitForWrites")?.args[1]).toBe(120_000);
  });

  it("aborts the wait when the client goes away, and close() ends open streams", async () => {
    const { call, api, server } = await start();
    let aborted: () => void = () => {};
    const abortedP = new Promise<void>((r) => (aborted = r));
    api.wait = (_r, options) =>
      new Promise((resolve) => {
        options.signal?.addEventListener("abort", () => {
          aborted();
          resolve({ outcome: "aborted", message: "" });
        });
      });
    const client = new AbortController();
    const res = await call("/api/v1/projects/default/web?wait=true", {
      method: "DELETE",
      signal: client.signal,
    });
    expect(res.status).toBe(200);
    client.abort();
    await abortedP;

    const open = await call("/api/v1/projects/default/web?wait=true", { method: "DELETE" });
    const body = open.text();
    await server.close();
    expect(await body).toContain('"outcome":"aborted"');
  });

  it("hides internal errors behind a 500 and logs them", async () => {
    const { call, logs } = await start();
    const res = await call("/api/v1/projects?labelSelector=boom");
    expect(res.status).toBe(500);
    const error = await errorOf(res);
    expect(error.code).toBe("Internal");
    expect(error.message).not.toContain("secret");
    expect(
      logs.some(
        (l) => l.level === "error" && String((l.fields?.["err"] as Error).message).includes("secret"),
      ),
    ).toBe(true);
  });

  it("requires a bearer token when one is set, except on the probes", async () => {
    const { call } = await start({ auth: { token: "s3cret-token" } });
    const none = await call("/api/v1/projects");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await call("/metrics", { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect(
      (await call("/api/v1/projects", { headers: { authorization: "Bearer s3cret-token" } })).status,
    ).toBe(200);
    expect((await call("/healthz")).status).toBe(200);
  });

  it("refuses to listen beyond loopback without a token", async () => {
    const base = {
      port: 0,
      registry: new Registry(),
      service: new FakeApi(),
      logger: memoryLogger([]),
      ready: () => true,
    };
    await expect(startHttpServer({ ...base, host: "0.0.0.0", auth: "none" })).rejects.toBeInstanceOf(
      InsecureBindError,
    );
    await expect(startHttpServer({ ...base, host: "::", auth: "none" })).rejects.toThrow(
      /without a bearer token/,
    );
    const server = await startHttpServer({ ...base, host: "0.0.0.0", auth: { token: "t" } });
    servers.push(server);
    expect(server.address.port).toBeGreaterThan(0);
  });

  it("reports a port in use", async () => {
    const { server } = await start();
    await expect(start({ port: server.address.port })).rejects.toThrow(/address is in use/);
  });
});
