import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { registerHttpRequestMetrics } from "../../../src/http/request-metrics.js";
import { Router } from "../../../src/http/router.js";
import { startHttpServer, type HttpServerHandle } from "../../../src/http/server.js";
import { nopLogger } from "../../../src/util/logger.js";
import { FakeApi } from "../../helpers/fake-service.js";

describe("HTTP request metrics and readiness", () => {
  const servers: HttpServerHandle[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it("Router.patternOf names the template, never the raw path, and never throws", () => {
    const router = new Router()
      .on("GET", "/api/v1/projects/:namespace/:name", () => {})
      .on("DELETE", "/api/v1/projects/:namespace/:name", () => {});
    expect(router.patternOf("/api/v1/projects/default/shop")).toBe("/api/v1/projects/:namespace/:name");
    expect(router.patternOf("/nope")).toBeUndefined();
    expect(router.patternOf("/api/v1/projects/%E0%A4%A/x")).toBeUndefined();
  });

  it("labels requests by route template, method and code; unknown paths as 'unmatched'", async () => {
    const registry = new Registry();
    const server = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      registry,
      service: new FakeApi(),
      logger: nopLogger,
      ready: () => true,
      auth: "none",
      requestMetrics: registerHttpRequestMetrics(registry),
    });
    servers.push(server);
    const url = server.address.url;
    await (await fetch(`${url}/healthz`)).text();
    await (await fetch(`${url}/api/v1/projects/default/some-name-123`)).text();
    await (await fetch(`${url}/no/such/path/abc`)).text();
    await new Promise((r) => setTimeout(r, 20));
    const text = await registry.metrics();
    expect(text).toContain(
      'berth_http_request_duration_seconds_count{route="/healthz",method="GET",code="200"} 1',
    );
    expect(text).toMatch(/route="\/api\/v1\/projects\/:namespace\/:name",method="GET",code="404"\} 1/);
    expect(text).toContain('route="unmatched",method="GET",code="404"} 1');
    expect(text).not.toContain("some-name-123");
    expect(text).not.toContain("/no/such/path");
  });

  it("/readyz answers 503 with the reason while one is given", async () => {
    let reason: string | undefined = "Docker is unreachable at unix:///x.sock";
    const server = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      registry: new Registry(),
      service: new FakeApi(),
      logger: nopLogger,
      ready: () => true,
      unreadyReason: () => reason,
      auth: "none",
    });
    servers.push(server);
    const res = await fetch(`${server.address.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe("not ready: Docker is unreachable at unix:///x.sock\n");
    reason = undefined;
    const ok = await fetch(`${server.address.url}/readyz`);
    expect(ok.status).toBe(200);
  });
});
