import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { readTestEnv } from "../../helpers/env.js";
import {
  api,
  cleanupDirs,
  eventually,
  freePort,
  removeProjects,
  startDaemon,
  type Daemon,
} from "./daemon.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = join(ROOT, "bin", "berth.js");
const suffix = Math.random().toString(36).slice(2, 7);
const WEB = `sec-web-${suffix}`;

function spec(name: string): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${name}}
spec:
  containers:
    - name: web
      image: berth-test/busybox:1
      command: ["sh", "-c", "echo started; exec httpd -f -p 8080 -h /"]
      ports: [{name: http, containerPort: 8080}]
`;
}

/** A raw request with any Host and headers; resolves with the status and body. */
function raw(
  url: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path, method: options.method ?? "GET", headers: options.headers },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => {
          body += d.toString();
          if (res.headers["content-type"]?.includes("event-stream")) res.destroy(); // an open stream
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("close", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** The status of a WebSocket upgrade, or "open" when it was accepted. */
function upgrade(url: string, headers: Record<string, string>): Promise<number | "open"> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once("open", () => {
      resolve("open");
      ws.close();
    });
    ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.once("error", () => {});
  });
}

/** Runs the CLI; `user` runs it as another local account (runuser). */
function cli(
  args: string[],
  options: { user?: string; env?: Record<string, string> } = {},
): { code: number | null; out: string } {
  const env = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent", ...options.env };
  const command = options.user ? "runuser" : process.execPath;
  const argv = options.user
    ? [
        "-u",
        options.user,
        "--",
        "env",
        ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
        process.execPath,
        BIN,
        ...args,
      ]
    : [BIN, ...args];
  const r = spawnSync(command, argv, {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
    ...(options.user ? {} : { env: { ...process.env, ...env } }),
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("only the user who runs Berth can drive it", () => {
  let d: Daemon;

  beforeAll(async () => {
    d = await startDaemon({ portRange: "28800-28849" });
    writeFileSync(join(d.dir, `${WEB}.yaml`), spec(WEB));
    await eventually(async () => (await api(d, `/api/v1/projects/default/${WEB}`)).ok, 30_000, WEB);
  });

  afterAll(async () => {
    await d?.stop();
    await removeProjects([`default.${WEB}`]);
    if (d) cleanupDirs(d.dir, d.stateDir);
  });

  it("creates the token on first start, readable by its owner only, and never logs it", () => {
    const file = statSync(join(d.stateDir, "token"));
    expect(file.mode & 0o777).toBe(0o600);
    expect(statSync(d.stateDir).mode & 0o077).toBe(0);
    expect(d.token).toMatch(/^[\w-]{43}$/);
    expect(d.logs()).not.toContain(d.token ?? "");
  });

  it("lets the owner's CLI in with no flags, and refuses another local account with 401", () => {
    const owner = cli(["get", "--server", d.url]);
    expect(owner.out).toContain(WEB);
    expect(owner.code).toBe(0);
    // nobody: its own (empty) state directory, then the owner's, which it cannot read
    const stranger = cli(["get", "--server", d.url], { user: "nobody" });
    expect(stranger.code).toBe(1);
    expect(stranger.out).toContain("requires a bearer token");
    expect(stranger.out).toMatch(/looked in .*token \(missing\)/);
    const prying = cli(["get", "--server", d.url], { user: "nobody", env: { BERTH_STATE_DIR: d.stateDir } });
    expect(prying.code).toBe(1);
    expect(prying.out).toContain(`${join(d.stateDir, "token")} (not readable by you)`);
    expect(prying.out).not.toContain(WEB);
    // the health routes stay open to everyone
    const health = spawnSync("runuser", [
      "-u",
      "nobody",
      "--",
      process.execPath,
      "-e",
      `fetch("${d.url}/healthz").then(r => process.exit(r.status === 200 ? 0 : 1))`,
    ]);
    expect(health.status).toBe(0);
  });

  it("refuses simple cross-site writes, and writes no spec file", async () => {
    const before = readdirSync(d.dir).sort();
    const host = new URL(d.url).host;
    const body = spec(`sec-evil-${suffix}`);
    const headers = (extra: Record<string, string>) => ({
      host,
      authorization: `Bearer ${d.token}`,
      ...extra,
    });
    // what a hostile page's form or no-cors fetch sends: a simple content type and its Origin
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ]) {
      const res = await raw(d.url, "/api/v1/projects", {
        method: "POST",
        headers: headers({
          "content-type": type,
          origin: "http://evil.example",
          "content-length": String(body.length),
        }),
        body,
      });
      expect(res.status, type).toBe(403);
    }
    const sameSite = await raw(d.url, "/api/v1/projects", {
      method: "POST",
      headers: headers({
        "content-type": "application/yaml",
        "sec-fetch-site": "same-site",
        "content-length": String(body.length),
      }),
      body,
    });
    expect(sameSite.status).toBe(403);
    const plain = await raw(d.url, "/api/v1/projects", {
      method: "POST",
      headers: headers({ "content-type": "text/plain", "content-length": String(body.length) }),
      body,
    });
    expect(plain.status).toBe(415);
    await new Promise((r) => setTimeout(r, 300));
    expect(readdirSync(d.dir).sort()).toEqual(before);
    expect((await api(d, `/api/v1/projects/default/sec-evil-${suffix}`)).status).toBe(404);
  });

  it("answers no route family to a rebound Host name", async () => {
    const host = "rebind.attacker.example:7420";
    const auth = `Bearer ${d.token}`;
    for (const path of [
      "/",
      "/assets/main.js",
      "/api/v1/projects",
      `/api/v1/projects/default/${WEB}/logs`,
      "/api/v1/events",
      "/metrics",
      "/mcp",
      "/healthz",
    ]) {
      const res = await raw(d.url, path, { headers: { host, authorization: auth } });
      expect(res.status, path).toBe(403);
      expect(res.body, path).toContain("--allowed-host rebind.attacker.example");
    }
    const ws = `${d.url.replace("http", "ws")}/api/v1/projects/default/${WEB}/logs/stream`;
    expect(await upgrade(ws, { host, authorization: auth })).toBe(403);
  });

  it("refuses a cross-origin WebSocket upgrade, even with the token", async () => {
    const ws = `${d.url.replace("http", "ws")}/api/v1/projects/default/${WEB}/logs/stream`;
    expect(await upgrade(ws, { origin: "http://evil.example", authorization: `Bearer ${d.token}` })).toBe(
      403,
    );
    expect(await upgrade(ws, { origin: "http://127.0.0.1:1", authorization: `Bearer ${d.token}` })).toBe(403);
    expect(await upgrade(ws, {})).toBe(401);
    expect(await upgrade(ws, { authorization: `Bearer ${d.token}` })).toBe("open");
  });
});

describe("serving beyond loopback and without auth", () => {
  const env = readTestEnv();

  /** Starts `berth run` with `args`; resolves with its exit code and output once it exits or `until` matches. */
  function run(
    args: string[],
    until?: RegExp,
  ): Promise<{ code: number | null; out: string; stop: () => void }> {
    const dir = mkdtempSync(join(tmpdir(), "berth-sec-specs-"));
    const stateDir = mkdtempSync(join(tmpdir(), "berth-sec-state-"));
    const proc = spawn(
      process.execPath,
      [
        BIN,
        "run",
        "--dir",
        dir,
        "--state-dir",
        stateDir,
        "--docker",
        env.dockerHost,
        "--port-range",
        "28850-28859",
        ...args,
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    const stop = () => {
      proc.kill("SIGTERM");
      cleanupDirs(dir, stateDir);
    };
    return new Promise((resolve) => {
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        if (until?.test(out)) resolve({ code: null, out, stop });
      };
      proc.stdout.on("data", onData);
      proc.stderr.on("data", onData);
      proc.once("exit", (code) => {
        cleanupDirs(dir, stateDir);
        resolve({ code, out, stop });
      });
    });
  }

  it("prints a known error as one message with its hint, and the stack only at debug level", async () => {
    const port = await freePort();
    const holder = await run(["--http", `127.0.0.1:${port}`], /berth: dashboard:/);
    try {
      const second = await run(["--http", `127.0.0.1:${port}`]);
      expect(second.code).toBe(1);
      expect(second.out).toContain(`berth: cannot listen on 127.0.0.1:${port}: the address is in use`);
      expect(second.out).toContain("hint: another berth (or another program) holds the port");
      expect(second.out).not.toMatch(/^\s+at /m);
      const debug = await run(["--http", `127.0.0.1:${port}`, "--log-level", "debug"]);
      expect(debug.code).toBe(1);
      expect(debug.out).toMatch(/^\s+at /m);
    } finally {
      holder.stop();
    }
  });

  it("--no-auth warns and serves loopback without a token, but refuses to do so beyond loopback", async () => {
    const port = await freePort();
    const open = await run(["--http", `127.0.0.1:${port}`, "--no-auth"], /berth: dashboard:/);
    try {
      expect(open.out).toContain("authentication is off (--no-auth)");
      expect((await fetch(`http://127.0.0.1:${port}/api/v1/projects`)).status).toBe(200);
    } finally {
      open.stop();
    }
    const wide = await run(["--http", `0.0.0.0:${await freePort()}`, "--no-auth"]);
    expect(wide.code).toBe(1);
    expect(wide.out).toContain("refusing to serve the Berth API on 0.0.0.0 without a bearer token");
  });

  it("on 0.0.0.0 requires the token, and answers to --allowed-host names", async () => {
    const port = await freePort();
    const wide = await run(
      ["--http", `0.0.0.0:${port}`, "--allowed-host", "berth.internal"],
      /berth: dashboard:/,
    );
    try {
      const url = `http://127.0.0.1:${port}`;
      expect((await fetch(`${url}/api/v1/projects`)).status).toBe(401);
      expect((await raw(url, "/healthz", { headers: { host: `berth.internal:${port}` } })).status).toBe(200);
      expect((await raw(url, "/healthz", { headers: { host: `other.internal:${port}` } })).status).toBe(403);
    } finally {
      wide.stop();
    }
  });
});
