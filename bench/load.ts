/**
 * bench/load: a load test in the style of k6 suites, against a real `berth run` daemon on the
 * shared Docker engine. Virtual users ramp through stages (BENCH_LOAD_STAGES, default
 * `15s:10,30s:30,15s:0`); each runs a closed loop with BENCH_LOAD_THINK_MS (50) think time over
 * a mix of REST reads (get 50 %, list 15 %), REST applies (5 %, a new stopped project each),
 * MCP get_project (20 %) and MCP patch_project (10 %, labels of its own project), on
 * BENCH_LOAD_PROJECTS (20) seeded projects (5 running). Errors are counted, never fatal; at the end
 * it prints throughput, per-operation p50/p95/p99 and errors, and the thresholds (bench/load-model):
 * reads p95 < 100 ms and p99 < 250 ms, writes p95 < 500 ms, all errors < 1 %. A threshold that
 * fails sets exit code 1, as k6 does.
 *
 *   BENCH_LOAD_STAGES=30s:20,60s:50,30s:0 npm run bench -- load
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { checkThresholds, parseStages, usersAt, type OpStats, type Threshold } from "./load-model.js";
import { ms, summarize } from "./stats.js";

const env = process.env;
const STAGES = parseStages(env["BENCH_LOAD_STAGES"] ?? "15s:10,30s:30,15s:0");
const THINK_MS = Number(env["BENCH_LOAD_THINK_MS"] ?? 50);
const PROJECTS = Number(env["BENCH_LOAD_PROJECTS"] ?? 20);
const NS = "benchload";
const IMAGE = "berth-test/busybox:1";
const ROOT = fileURLToPath(new URL("..", import.meta.url));

const THRESHOLDS: Threshold[] = [
  { op: "rest_get", p95Ms: 100, p99Ms: 250 },
  { op: "rest_list", p95Ms: 100, p99Ms: 250 },
  { op: "mcp_get_project", p95Ms: 100, p99Ms: 250 },
  { op: "mcp_patch_project", p95Ms: 500 },
  { op: "rest_apply", p95Ms: 500 },
  { op: "all", maxErrorRate: 0.01 },
];

const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));

function spec(name: string, state: "Running" | "Stopped"): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${name}, namespace: ${NS}, labels: {load: "0"}}
spec:
  state: ${state}
  containers:
    - name: web
      image: ${IMAGE}
      command: ["sh", "-c", "exec sleep 1000000"]
`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      srv.close(() => (typeof a === "object" && a ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

async function startDaemon(dir: string, stateDir: string) {
  const port = await freePort();
  const args = [join(ROOT, "bin/berth.js"), "run", "--dir", dir, "--state-dir", stateDir, "--no-auth"];
  args.push("--http", `127.0.0.1:${port}`, "--port-range", "28000-28499", "--log-level", "warn");
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  proc.stderr?.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`berth run exited: ${err}`);
    if (
      await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (i > 600) throw new Error(`berth run not ready in 60 s: ${err}`);
    await sleep(100);
  }
  return {
    url,
    stop: async () => {
      proc.kill("SIGTERM");
      await exited;
    },
  };
}

class Recorder {
  readonly stats = new Map<string, OpStats>();
  async time(op: string, fn: () => Promise<boolean>): Promise<void> {
    const s = this.stats.get(op) ?? { ok: [], errors: 0 };
    this.stats.set(op, s);
    const t = performance.now();
    try {
      if (await fn()) s.ok.push(performance.now() - t);
      else s.errors++;
    } catch {
      s.errors++;
    }
  }
}

/** One virtual user: its own MCP session and project; runs until `stop` says so. */
async function user(url: string, id: number, rec: Recorder, stop: () => boolean): Promise<void> {
  const mcp = new Client({ name: `vu-${id}`, version: "1" });
  await mcp.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
  const own = `p${id % PROJECTS}`;
  try {
    for (let round = 0; !stop(); round++) {
      const r = Math.random();
      if (r < 0.5)
        await rec.time("rest_get", async () => (await fetch(`${url}/api/v1/projects/${NS}/${own}`)).ok);
      else if (r < 0.65)
        await rec.time("rest_list", async () => (await fetch(`${url}/api/v1/projects?namespace=${NS}`)).ok);
      else if (r < 0.7)
        await rec.time("rest_apply", async () => {
          const res = await fetch(`${url}/api/v1/projects`, {
            method: "POST",
            headers: { "content-type": "application/yaml" },
            body: spec(`applied-${id}-${round}`, "Stopped"),
          });
          await res.arrayBuffer();
          return res.ok;
        });
      else if (r < 0.9)
        await rec.time("mcp_get_project", async () => {
          const res = await mcp.callTool({ name: "get_project", arguments: { namespace: NS, name: own } });
          return res.isError !== true;
        });
      else
        await rec.time("mcp_patch_project", async () => {
          const patch = { metadata: { labels: { load: String(round) } } };
          const res = await mcp.callTool({
            name: "patch_project",
            arguments: { namespace: NS, name: own, patch },
          });
          return res.isError !== true;
        });
      await sleep(THINK_MS);
    }
  } finally {
    await mcp.close().catch(() => {});
  }
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-load-"));
  const stateDir = mkdtempSync(join(tmpdir(), "berth-bench-load-state-"));
  for (let i = 0; i < PROJECTS; i++)
    writeFileSync(join(dir, `p${i}.yaml`), spec(`p${i}`, i < 5 ? "Running" : "Stopped"));
  const daemon = await startDaemon(dir, stateDir);
  const rec = new Recorder();
  const total = STAGES.reduce((a, s) => a + s.seconds, 0);
  const peak = Math.max(...STAGES.map((s) => s.target));
  console.log(
    `load: stages ${STAGES.map((s) => `${s.seconds}s:${s.target}`).join(",")} (peak ${peak} VUs), think ${THINK_MS} ms`,
  );
  const users: { stopped: boolean; done: Promise<void> }[] = [];
  const t0 = performance.now();
  try {
    for (;;) {
      const t = (performance.now() - t0) / 1000;
      if (t >= total) break;
      const want = usersAt(STAGES, t);
      const live = users.filter((u) => !u.stopped);
      for (let i = live.length; i < want; i++) {
        const u = { stopped: false, done: Promise.resolve() };
        u.done = user(daemon.url, users.length, rec, () => u.stopped).catch(() => {
          const s = rec.stats.get("session") ?? { ok: [], errors: 0 };
          s.errors++;
          rec.stats.set("session", s);
        });
        users.push(u);
      }
      for (const u of live.slice(want)) u.stopped = true;
      await sleep(250);
    }
    for (const u of users) u.stopped = true;
    await Promise.all(users.map((u) => u.done));
  } finally {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
  const seconds = (performance.now() - t0) / 1000;
  let calls = 0;
  for (const [op, s] of rec.stats) {
    const n = s.ok.length + s.errors;
    calls += n;
    const sum = summarize(s.ok);
    console.log(
      `  ${op.padEnd(18)} n=${String(n).padStart(6)}  ${(n / seconds).toFixed(1).padStart(7)}/s  p50 ${ms(sum.median)}  p95 ${ms(sum.p95)}  p99 ${ms(sum.p99)}  errors ${s.errors}`,
    );
  }
  console.log(
    `  throughput ${(calls / seconds).toFixed(1)} calls/s over ${seconds.toFixed(0)} s, ${users.length} VUs started`,
  );
  const results = checkThresholds(rec.stats, THRESHOLDS);
  for (const r of results) console.log(`  ${r.text}`);
  if (results.some((r) => !r.passed)) {
    console.log("load: thresholds FAILED");
    process.exitCode = 1;
  } else console.log("load: all thresholds passed");
}
