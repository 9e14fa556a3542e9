import { request } from "node:http";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { startHttpServer, type HttpServerHandle } from "../../../src/http/server.js";
import { nopLogger } from "../../../src/util/logger.js";
import { FakeApi } from "../../helpers/fake-service.js";

const TOKEN = "unit-test-token-0123456789";

/** A raw request, so that Host and the browser headers can be set freely. */
function raw(
  url: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path,
        method: options.method ?? "GET",
        headers: options.headers ?? {},
      },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("HTTP authentication", () => {
  const servers: HttpServerHandle[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function start(): Promise<{ server: HttpServerHandle; url: string; host: string }> {
    const server = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      registry: new Registry(),
      service: new FakeApi(),
      logger: nopLogger,
      ready: () => true,
      auth: { token: TOKEN },
      routes: [(router) => router.on("POST", "/mcp", ({ res }) => void res.end("mcp"))],
      isBearerOnlyPath: (p) => p === "/mcp",
      upgrades: [
        (req, socket, head, url) => {
          if (url.pathname !== "/echo") return false;
          new WebSocketServer({ noServer: true }).handleUpgrade(req, socket, head, (ws) => ws.send("hello"));
          return true;
        },
      ],
    });
    servers.push(server);
    const url = server.address.url;
    return { server, url, host: new URL(url).host };
  }

  /** Opens a login link as a browser would; returns the session cookie ("name=value"). */
  async function openLink(url: string, link: string): Promise<{ status: number; cookie: string }> {
    const u = new URL(link);
    expect(u.origin).toBe(url);
    const res = await raw(url, `${u.pathname}${u.search}`, { headers: { host: u.host } });
    const set = res.headers["set-cookie"] === undefined ? "" : String(res.headers["set-cookie"]);
    if (res.status === 303) {
      expect(res.headers["location"]).toBe("/");
      expect(set).toContain("HttpOnly");
      expect(set).toContain("SameSite=Strict");
    }
    return { status: res.status, cookie: set.split(";")[0] ?? "" };
  }

  it("needs the token everywhere but the probes and the login", async () => {
    const { url, host } = await start();
    for (const path of ["/api/v1/projects", "/metrics", "/api/v1/info"])
      expect((await raw(url, path, { headers: { host } })).status).toBe(401);
    expect((await raw(url, "/healthz", { headers: { host } })).status).toBe(200);
    expect((await raw(url, "/readyz", { headers: { host } })).status).toBe(200);
    const ok = await raw(url, "/api/v1/projects", { headers: { host, authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    const wrong = await raw(url, "/api/v1/projects", { headers: { host, authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
  });

  it("logs a browser in once per link; the cookie then works on this origin's requests", async () => {
    const { server, url, host } = await start();
    const link = server.loginUrl() ?? "";
    const first = await openLink(url, link);
    expect(first.status).toBe(303);
    const cookie = first.cookie;
    expect(cookie).toMatch(/^berth_session_\d+=v1\./);
    expect((await raw(url, "/api/v1/projects", { headers: { host, cookie } })).status).toBe(200);
    const sameOrigin = { host, cookie, "sec-fetch-site": "same-origin", origin: url };
    const write = await raw(url, "/api/v1/projects/default/web/restart", {
      method: "POST",
      headers: sameOrigin,
    });
    expect(write.status).not.toBe(401);
    expect(write.status).not.toBe(403);
    // the same link a second time, and a made-up one
    expect((await openLink(url, link)).status).toBe(401);
    expect((await openLink(url, `${url}/login?code=made-up`)).status).toBe(401);
  });

  it("does not let a page of another port or site borrow the cookie, nor MCP accept it", async () => {
    const { server, url, host } = await start();
    const { cookie } = await openLink(url, server.loginUrl() ?? "");
    // a same-site page on another port (another local user's server, say) reading the API
    const borrowed = await raw(url, "/api/v1/projects", {
      headers: { host, cookie, "sec-fetch-site": "same-site" },
    });
    expect(borrowed.status).toBe(401);
    const mcp = await raw(url, "/mcp", {
      method: "POST",
      headers: { host, cookie, "content-type": "application/json", "content-length": "2" },
      body: "{}",
    });
    expect(mcp.status).toBe(401);
    const bearer = await raw(url, "/mcp", {
      method: "POST",
      headers: {
        host,
        authorization: `Bearer ${TOKEN}`,
        "content-type": "application/json",
        "content-length": "2",
      },
      body: "{}",
    });
    expect(bearer.status).toBe(200);
  });

  it("exchanges the token for a cookie at POST /login, and makes new links for token holders", async () => {
    const { url, host } = await start();
    const json = (body: string) => ({
      host,
      "content-type": "application/json",
      "content-length": String(body.length),
    });
    const good = JSON.stringify({ token: TOKEN });
    const res = await raw(url, "/login", { method: "POST", headers: json(good), body: good });
    expect(res.status).toBe(200);
    expect(String(res.headers["set-cookie"])).toContain("HttpOnly");
    const bad = JSON.stringify({ token: "guess" });
    expect((await raw(url, "/login", { method: "POST", headers: json(bad), body: bad })).status).toBe(401);
    expect((await raw(url, "/api/v1/login-links", { method: "POST", headers: { host } })).status).toBe(401);
    const made = await raw(url, "/api/v1/login-links", {
      method: "POST",
      headers: { host, authorization: `Bearer ${TOKEN}` },
    });
    expect(made.status).toBe(201);
    const link = (JSON.parse(made.body) as { url: string }).url;
    expect((await openLink(url, link)).status).toBe(303);
  });

  it("checks Host, Origin and credentials on WebSocket upgrades", async () => {
    const { server, url } = await start();
    const { cookie } = await openLink(url, server.loginUrl() ?? "");
    const ws = url.replace("http", "ws");
    const connect = (headers: Record<string, string>) =>
      new Promise<string | number>((resolve) => {
        const socket = new WebSocket(`${ws}/echo`, { headers });
        socket.once("message", (data: Buffer) => {
          resolve(data.toString());
          socket.close();
        });
        socket.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        socket.once("error", () => {});
      });
    expect(await connect({ cookie, origin: url })).toBe("hello");
    expect(await connect({ authorization: `Bearer ${TOKEN}` })).toBe("hello");
    expect(await connect({})).toBe(401);
    expect(await connect({ cookie, origin: "http://evil.example" })).toBe(403);
    expect(await connect({ authorization: `Bearer ${TOKEN}`, origin: "http://127.0.0.1:1" })).toBe(403);
    expect(await connect({ authorization: `Bearer ${TOKEN}`, host: "rebind.attacker.example" })).toBe(403);
  });

  it("refuses a foreign Host on every route family before anything else", async () => {
    const { url } = await start();
    const host = "rebind.attacker.example:7420";
    for (const path of [
      "/",
      "/api/v1/projects",
      "/api/v1/events",
      "/metrics",
      "/mcp",
      "/login",
      "/healthz",
    ]) {
      const res = await raw(url, path, { headers: { host, authorization: `Bearer ${TOKEN}` } });
      expect(res.status, path).toBe(403);
      expect(res.body, path).toContain("--allowed-host");
    }
  });
});
