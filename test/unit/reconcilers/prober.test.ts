import { createServer as createHttpServer } from "node:http";
import type { Server as HttpServer } from "node:http";
import { createServer as createTcpServer } from "node:net";
import type { AddressInfo, Server as TcpServer } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Prober } from "../../../src/reconcilers/prober.js";
import type { ProbeHealth, ProbeTarget } from "../../../src/reconcilers/prober.js";
import { nopLogger } from "../../../src/util/logger.js";

/** One spec second is 50 ms here, so a 1 s period probes every 50 ms. */
const MS_PER_SECOND = 50;
const timing = { periodSeconds: 1, timeoutSeconds: 10, failureThreshold: 2, initialDelaySeconds: 0 };
const KEY = "default/shop";

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

function newProber(): { prober: Prober; seen: (ProbeHealth | undefined)[] } {
  const prober = new Prober({ logger: nopLogger, msPerSecond: MS_PER_SECOND });
  const seen: (ProbeHealth | undefined)[] = [];
  prober.onChange((key) => seen.push(prober.health(key, "web")));
  cleanup.push(() => prober.stop());
  return { prober, seen };
}

/** A real HTTP server on 127.0.0.1 answering `state.code`; counts requests per code. */
async function httpServer(): Promise<{
  server: HttpServer;
  url: string;
  state: { code: number; hits: number[]; times: number[] };
}> {
  const state = { code: 200, hits: [] as number[], times: [] as number[] };
  const server = createHttpServer((req, res) => {
    state.hits.push(state.code);
    state.times.push(performance.now());
    if (state.code === 0) return; // never answer
    res.writeHead(state.code, { "content-type": "text/plain" });
    res.end("x".repeat(100));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup.push(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/healthz`, state };
}

async function tcpServer(port = 0): Promise<TcpServer> {
  const server = createTcpServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  cleanup.push(() => server.close());
  return server;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const waitFor = (fn: () => void) => vi.waitFor(fn, { timeout: 3000, interval: 10 });

describe("Prober (http)", () => {
  it("goes starting -> healthy -> unhealthy after the threshold -> healthy -> unhealthy when closed", async () => {
    const { prober, seen } = newProber();
    const { server, url, state } = await httpServer();
    prober.set(KEY, "web", { kind: "http", url, ...timing });
    expect(prober.health(KEY, "web")).toBe("starting");
    await waitFor(() => expect(prober.health(KEY, "web")).toBe("healthy"));
    expect(prober.lastResult(KEY, "web")).toEqual({ ok: true, message: `HTTP GET ${url} returned 200` });

    state.code = 500;
    let failuresAtChange = -1;
    prober.onChange(() => (failuresAtChange = state.hits.filter((c) => c === 500).length));
    await waitFor(() => expect(prober.health(KEY, "web")).toBe("unhealthy"));
    expect(failuresAtChange).toBe(timing.failureThreshold);
    expect(prober.lastResult(KEY, "web")?.message).toContain("returned 500");

    state.code = 204;
    await waitFor(() => expect(prober.health(KEY, "web")).toBe("healthy"));
    state.code = 302;
    await sleep(5 * MS_PER_SECOND);
    expect(prober.health(KEY, "web")).toBe("healthy");

    server.closeAllConnections();
    server.close();
    await waitFor(() => expect(prober.health(KEY, "web")).toBe("unhealthy"));
    expect(prober.lastResult(KEY, "web")?.message).toContain("ECONNREFUSED");
    expect(seen).toEqual(["healthy", "unhealthy", "healthy", "unhealthy"]);
  });

  it("keeps its state when set again with an equal target and restarts on a different one", async () => {
    const { prober, seen } = newProber();
    const { url } = await httpServer();
    prober.set(KEY, "web", { kind: "http", url, ...timing });
    await waitFor(() => expect(prober.health(KEY, "web")).toBe("healthy"));
    prober.set(KEY, "web", { kind: "http", url, ...timing });
    expect(prober.health(KEY, "web")).toBe("healthy");
    await sleep(3 * MS_PER_SECOND);
    expect(seen).toEqual(["healthy"]);
    prober.set(KEY, "web", { kind: "http", url, ...timing, failureThreshold: 3 });
    expect(prober.health(KEY, "web")).toBe("starting");
    await waitFor(() => expect(prober.health(KEY, "web")).toBe("healthy"));
    expect(seen).toEqual(["healthy", "healthy"]);
  });

  it("stops probing on remove and on set(undefined): no more requests arrive", async () => {
    const { prober } = newProber();
    const { url, state } = await httpServer();
    prober.set(KEY, "web", { kind: "http", url, ...timing });
    prober.set(KEY, "db", { kind: "http", url: `${url}?db`, ...timing });
    await waitFor(() => expect(state.hits.length).toBeGreaterThanOrEqual(6));
    prober.set(KEY, "db", undefined);
    expect(prober.health(KEY, "db")).toBeUndefined();
    expect(prober.health(KEY, "web")).toBeDefined();
    prober.remove(KEY);
    expect(prober.health(KEY, "web")).toBeUndefined();
    await sleep(MS_PER_SECOND);
    const hits = state.hits.length;
    await sleep(6 * MS_PER_SECOND);
    expect(state.hits.length).toBe(hits);
  });

  it("counts a response that does not come within the timeout as a failure, one probe at a time", async () => {
    const { prober } = newProber();
    const { url, state } = await httpServer();
    state.code = 0;
    prober.set(KEY, "web", { kind: "http", url, ...timing, timeoutSeconds: 2, failureThreshold: 1 });
    await waitFor(() => expect(prober.health(KEY, "web")).toBe("unhealthy"));
    expect(prober.lastResult(KEY, "web")?.message).toBe(`HTTP GET ${url}: timed out`);
    // Timeout 100 ms, period 50 ms: as probes never overlap, requests arrive >= 100 ms apart.
    await waitFor(() => expect(state.times.length).toBeGreaterThanOrEqual(3));
    const gaps = state.times.slice(1).map((t, i) => t - (state.times[i] ?? 0));
    for (const gap of gaps) expect(gap).toBeGreaterThan(90);
  });

  it("reads at most a little of a large or endless body", async () => {
    const { prober } = newProber();
    const server = createHttpServer((_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024);
      const pump = (): void => void (res.write(chunk) ? setImmediate(pump) : res.once("drain", pump));
      res.on("close", () => res.removeAllListeners("drain"));
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanup.push(() => {
      server.closeAllConnections();
      server.close();
    });
    const { port } = server.address() as AddressInfo;
    prober.set(KEY, "web", { kind: "http", url: `http://127.0.0.1:${port}/`, ...timing, timeoutSeconds: 20 });
    await waitFor(() => expect(prober.health(KEY, "web")).toBe("healthy"));
  });
});

describe("Prober (tcp)", () => {
  it("is healthy while the port accepts connections and unhealthy after the threshold", async () => {
    const { prober, seen } = newProber();
    const server = await tcpServer();
    const { port } = server.address() as AddressInfo;
    const target: ProbeTarget = { kind: "tcp", host: "127.0.0.1", port, ...timing };
    prober.set(KEY, "web", target);
    await waitFor(() => expect(prober.health(KEY, "web")).toBe("healthy"));
    server.close();
    await waitFor(() => expect(prober.health(KEY, "web")).toBe("unhealthy"));
    await tcpServer(port);
    await waitFor(() => expect(prober.health(KEY, "web")).toBe("healthy"));
    expect(seen).toEqual(["healthy", "unhealthy", "healthy"]);
    expect(prober.lastResult(KEY, "web")?.message).toBe(`TCP connect 127.0.0.1:${port} succeeded`);
  });

  it("does not count failures before the first success within the initial delay", async () => {
    const { prober } = newProber();
    const server = await tcpServer();
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const target: ProbeTarget = { kind: "tcp", host: "127.0.0.1", port, ...timing, failureThreshold: 1 };
    prober.set(KEY, "web", { ...target, initialDelaySeconds: 10 });
    await sleep(4 * MS_PER_SECOND);
    expect(prober.lastResult(KEY, "web")?.ok).toBe(false);
    expect(prober.health(KEY, "web")).toBe("starting");
    await waitFor(() => expect(prober.health(KEY, "web")).toBe("unhealthy"));
  });

  it("ignores set after stop and stops every loop", async () => {
    const { prober } = newProber();
    const server = await tcpServer();
    const { port } = server.address() as AddressInfo;
    prober.set(KEY, "web", { kind: "tcp", host: "127.0.0.1", port, ...timing });
    prober.stop();
    expect(prober.health(KEY, "web")).toBeUndefined();
    prober.set(KEY, "web", { kind: "tcp", host: "127.0.0.1", port, ...timing });
    expect(prober.health(KEY, "web")).toBeUndefined();
  });
});
