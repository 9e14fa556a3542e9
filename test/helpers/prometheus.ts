import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";

/**
 * A real Prometheus (Debian's `prometheus`, installed by scripts/prometheus.sh) on loopback,
 * scraping one target and evaluating the given rule files, with its own storage directory.
 */
export interface TestPrometheus {
  url: string;
  /** GET /api/v1/<path> with `params`; throws unless Prometheus answers status "success". */
  api<T>(path: string, params?: Record<string, string>): Promise<T>;
  stop(): Promise<void>;
  log(): string;
}

export interface TestPrometheusOptions {
  port: number;
  /** host:port of the scraped target (path /metrics). */
  target: string;
  job: string;
  /** Sent as `Authorization: Bearer`. */
  token?: string | undefined;
  ruleFiles: string[];
  /** Scrape and rule evaluation interval; default 1s. */
  interval?: string;
}

/** Starts Prometheus and waits until /-/ready answers (at most 30 s). */
export async function startPrometheus(o: TestPrometheusOptions): Promise<TestPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "berth-prometheus-"));
  const interval = o.interval ?? "1s";
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: o.ruleFiles,
    scrape_configs: [
      {
        job_name: o.job,
        static_configs: [{ targets: [o.target] }],
        ...(o.token ? { authorization: { type: "Bearer", credentials: o.token } } : {}),
      },
    ],
  };
  writeFileSync(join(dir, "prometheus.yml"), stringify(config));
  const proc: ChildProcess = spawn(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${o.port}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${o.port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`prometheus exited with ${proc.exitCode}:\n${out}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`prometheus was not ready in 30 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
      const res = await fetch(`${url}/api/v1/${path}?${new URLSearchParams(params).toString()}`);
      const body = (await res.json()) as { status: string; data: T; error?: string; errorType?: string };
      if (body.status !== "success")
        throw new Error(`prometheus ${path} ${JSON.stringify(params)}: ${body.errorType}: ${body.error}`);
      return body.data;
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => out,
  };
}
