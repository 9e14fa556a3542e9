import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { isDashboardPath } from "../../../src/http/dashboard.js";
import { registerDashboardRoutes } from "../../../src/http/dashboard.js";
import { startHttpServer, type HttpServerHandle } from "../../../src/http/server.js";
import { etagMatches, isServableName } from "../../../src/http/static.js";
import { nopLogger } from "../../../src/util/logger.js";
import { FakeApi } from "../../helpers/fake-service.js";

describe("static file rules", () => {
  it("serves only single-segment names with a known extension", () => {
    for (const ok of ["main.js", "style.css", "index.html", "a-b_c.1.js"])
      expect(isServableName(ok)).toBe(true);
    for (const bad of [
      "",
      "..",
      "../x.js",
      "a/b.js",
      ".hidden.js",
      "x..js",
      "x.exe",
      "x",
      "%2e%2e.js",
      "a\\b.js",
      "x.js\0",
    ])
      expect(isServableName(bad)).toBe(false);
  });

  it("matches If-None-Match lists, weak tags and *", () => {
    expect(etagMatches('"abc"', '"abc"')).toBe(true);
    expect(etagMatches('W/"abc"', '"abc"')).toBe(true);
    expect(etagMatches('"x", "abc"', '"abc"')).toBe(true);
    expect(etagMatches("*", '"abc"')).toBe(true);
    expect(etagMatches('"abcd"', '"abc"')).toBe(false);
    expect(etagMatches(undefined, '"abc"')).toBe(false);
  });

  it("treats the page and its assets as public and nothing else", () => {
    for (const p of ["/", "/index.html", "/assets/main.js"]) expect(isDashboardPath(p)).toBe(true);
    for (const p of ["/api/v1/projects", "/metrics", "/mcp", "/assetsx"])
      expect(isDashboardPath(p)).toBe(false);
  });
});

describe("dashboard routes", () => {
  let dir: string;
  const servers: HttpServerHandle[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "berth-dash-static-"));
    mkdirSync(join(dir, "assets"));
    writeFileSync(join(dir, "index.html"), "<!doctype html><title>t</title>");
    writeFileSync(join(dir, "assets", "main.js"), "export {};\n");
    writeFileSync(join(dir, "assets", "style.css"), "body{}\n");
    writeFileSync(join(dir, "secret.json"), '{"no": "way"}');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function start(root: string, token?: string): Promise<string> {
    const server = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      registry: new Registry(),
      service: new FakeApi(),
      logger: nopLogger,
      ready: () => true,
      routes: [(router) => registerDashboardRoutes(router, root)],
      isPublicPath: isDashboardPath,
      auth: token ? { token } : "none",
    });
    servers.push(server);
    return server.address.url;
  }

  it("serves the page and assets with their content types, security headers and an ETag", async () => {
    const url = await start(dir);
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toMatch(/default-src 'none'.*script-src 'self'/);
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await page.text()).toContain("<title>t</title>");
    const js = await fetch(`${url}/assets/main.js`);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("cache-control")).toBe("no-cache");
    const css = await fetch(`${url}/assets/style.css`);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");

    const etag = js.headers.get("etag") ?? "";
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await fetch(`${url}/assets/main.js`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    const head = await fetch(`${url}/assets/main.js`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("11");
  });

  it("gives a changed file a new ETag without a restart", async () => {
    const url = await start(dir);
    const before = (await fetch(`${url}/assets/style.css`)).headers.get("etag");
    writeFileSync(join(dir, "assets", "style.css"), "body{color:red}\n");
    utimesSync(join(dir, "assets", "style.css"), new Date(), new Date(Date.now() + 5000));
    const after = await fetch(`${url}/assets/style.css`, { headers: { "if-none-match": before ?? "" } });
    expect(after.status).toBe(200);
    expect(after.headers.get("etag")).not.toBe(before);
    expect(await after.text()).toBe("body{color:red}\n");
  });

  it("never serves a path outside the assets directory", async () => {
    const url = await start(dir);
    for (const path of [
      "/assets/..%2Fsecret.json",
      "/assets/%2e%2e%2fsecret.json",
      "/assets/../secret.json",
      "/assets/..%5Csecret.json",
      "/assets/.%2e/secret.json",
      "/assets/missing.js",
      "/assets/",
      "/secret.json",
    ]) {
      const res = await fetch(`${url}${path}`);
      expect([400, 404], path).toContain(res.status);
      expect(await res.text(), path).not.toContain("way");
    }
  });

  it("serves the page without the token while the API still needs it", async () => {
    const url = await start(dir, "tok");
    expect((await fetch(`${url}/`)).status).toBe(200);
    expect((await fetch(`${url}/assets/main.js`)).status).toBe(200);
    expect((await fetch(`${url}/api/v1/projects`)).status).toBe(401);
    expect((await fetch(`${url}/api/v1/projects`, { headers: { authorization: "Bearer tok" } })).status).toBe(
      200,
    );
  });

  it("says how to build the page when there is no build", async () => {
    const url = await start(join(dir, "nowhere"));
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { hint: string } }).error.hint).toMatch(/build-web\.sh/);
  });
});
