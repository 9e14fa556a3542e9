import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";
import { dockerOptions, readTestEnv } from "../../helpers/env.js";
import { eventually } from "../../helpers/poll.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = join(ROOT, "bin", "berth.js");

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** A `berth run` child process on its own spec and state directories. */
export interface Daemon {
  dir: string;
  stateDir: string;
  url: string;
  /** The API token, read from `<stateDir>/token` as the CLI does (undefined with --no-auth or --token). */
  token: string | undefined;
  proc: ChildProcess;
  logs: () => string;
  /** The one-time dashboard login URL `berth run` printed (undefined with --no-auth). */
  loginUrl: string | undefined;
  /** SIGTERM (or `signal`) and wait for exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface DaemonOptions {
  dir?: string;
  stateDir?: string;
  portRange?: string;
  extraArgs?: string[];
}

/** Starts `berth run` and waits until /readyz answers 200. */
export async function startDaemon(opts: DaemonOptions = {}): Promise<Daemon> {
  const env = readTestEnv();
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "berth-it-specs-"));
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), "berth-it-state-"));
  const port = await freePort();
  const args = [
    BIN,
    "run",
    "--dir",
    dir,
    "--state-dir",
    stateDir,
    "--http",
    `127.0.0.1:${port}`,
    "--port-range",
    opts.portRange ?? "21000-21999",
    "--stop-timeout",
    "1s",
    "--docker",
    env.dockerHost,
    ...(opts.extraArgs ?? []),
  ];
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`berth run exited with ${proc.exitCode}:\n${out}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`berth run did not become ready in 30 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const explicit = opts.extraArgs?.some(
    (a) => a === "--no-auth" || a === "--token" || a.startsWith("--token="),
  );
  return {
    dir,
    stateDir,
    url,
    token: explicit ? undefined : readStateToken(stateDir),
    loginUrl: /berth: dashboard: (http:\/\/\S+\/login\?code=\S+)/.exec(out)?.[1],
    proc,
    logs: () => out,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** The API token a daemon created in its state directory (what the CLI reads). */
export function readStateToken(stateDir: string): string {
  return readFileSync(join(stateDir, "token"), "utf8").trim();
}

/** The Authorization header of a daemon's token; empty when it runs without one. */
export function authHeaders(d: { token: string | undefined }): Record<string, string> {
  return d.token ? { authorization: `Bearer ${d.token}` } : {};
}

/** fetch on a daemon's API with its token (and application/json for string bodies without a type). */
export function api(
  d: { url: string; token: string | undefined },
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  for (const [k, v] of Object.entries(authHeaders(d))) if (!headers.has(k)) headers.set(k, v);
  if (typeof init.body === "string" && !headers.has("content-type"))
    headers.set("content-type", "application/json");
  return fetch(`${d.url}${path}`, { ...init, headers });
}

/** dockerode on the test engine. */
export function docker(): Docker {
  return new Docker(dockerOptions(readTestEnv()));
}

/** Removes every container and network of the given project label values (`ns.name`). */
export async function removeProjects(labels: string[]): Promise<void> {
  const d = docker();
  for (const label of labels) {
    const filters = JSON.stringify({ label: [`berth.dev/project=${label}`] });
    for (const c of await d.listContainers({ all: true, filters })) {
      await d
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => {});
    }
    for (const n of await d.listNetworks({ filters }))
      await d
        .getNetwork(n.Id)
        .remove()
        .catch(() => {});
  }
}

export { eventually };

export function cleanupDirs(...dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
