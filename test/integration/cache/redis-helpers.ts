import { spawn, type ChildProcess } from "node:child_process";
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import type { ProjectStatus } from "../../../src/api/types.js";
import { main } from "../../../src/cli/main.js";
import type { Daemon } from "../operator/daemon.js";
import { api, eventually } from "../operator/daemon.js";

export const IMAGE = "berth-test/busybox:1";

/** A redis-server of a test's own, which the test may stop and start again (no persistence). */
export class OwnRedis {
  private proc: ChildProcess | undefined;
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
    const proc = spawn("redis-server", [...args, "--daemonize", "no"], { stdio: "ignore" });
    this.proc = proc;
    const probe = new Redis(this.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on("error", () => undefined);
    try {
      await eventually(
        () => probe.connect().then(() => probe.ping().then(() => true)),
        10_000,
        "redis-server",
      );
    } finally {
      probe.disconnect();
    }
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGKILL");
    await exited;
  }
}

/** One-container project spec with an allocated port. */
export function spec(project: string, restartPolicy = "Always"): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata:
  name: ${project}
spec:
  containers:
    - name: web
      image: ${IMAGE}
      restartPolicy: ${restartPolicy}
      command: ["httpd", "-f", "-p", "8080"]
      ports: [{name: http, containerPort: 8080}]
`;
}

export function save(dir: string, file: string, text: string): void {
  const tmp = join(dir, `.${file}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, file));
}

export interface View {
  status: ProjectStatus;
}

export async function project(d: Daemon, key: string): Promise<View | undefined> {
  const r = await api(d, `/api/v1/projects/${key}`);
  return r.ok ? ((await r.json()) as View) : undefined;
}

export function untilRunning(d: Daemon, key: string): Promise<View> {
  return eventually(
    async () => {
      const p = await project(d, key);
      return p?.status.phase === "Running" ? p : undefined;
    },
    30_000,
    `${key} Running`,
  );
}

export function hostPort(v: View): number {
  const port = v.status.ports?.[0]?.hostPort;
  if (port === undefined) throw new Error("project has no host port");
  return port;
}

export function cli(d: Daemon, ...args: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const sink = (t: string): void => void (out += t);
  return main(["node", "berth", ...args, "--server", d.url], { out: sink, err: sink }).then((code) => ({
    code,
    out,
  }));
}

/** Milliseconds `fn` took, and its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/** The value of one sample line of /metrics, e.g. `berth_cache_backend_up{tier="redis"}`. */
export async function metric(d: Daemon, sample: string): Promise<number | undefined> {
  const text = await api(d, `/metrics`).then((r) => r.text());
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}
