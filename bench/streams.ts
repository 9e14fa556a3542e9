/**
 * bench/streams: the streams pipeline against baselines measured in the same run.
 *
 *   npm run bench -- streams                 all three parts
 *   BENCH_STREAMS=query,latency,metrics      choose parts
 *   BENCH_SECONDS=5 BENCH_METRICS_SECONDS=10 BENCH_CONTAINERS=50
 *
 * query:   tail 1000 with a regex over a full 10k-line ring (in process, and over HTTP) vs a Docker
 *          API logs request with tail=1000 of a container that has 10k lines.
 * latency: dockerd's timestamp of a line to its arrival at a NATS subscriber, at 1k/10k/20k lines/s
 *          (observer + log follower + NATS publisher in this process, a real container and nats-server).
 * metrics: CPU of this process plus dockerd while sampling N containers every second from cgroup
 *          files, vs streaming the Docker stats API for the same containers.
 */
import { readFileSync } from "node:fs";
import { connect } from "@nats-io/transport-node";
import Docker from "dockerode";
import { Registry } from "prom-client";
import { startHttpServer } from "../src/http/server.js";
import { registerLogRoutes } from "../src/http/log-routes.js";
import { createDockerClient } from "../src/runtime/docker.js";
import { DockerObserver } from "../src/runtime/observer.js";
import { InProcessBus } from "../src/streams/bus.js";
import { CgroupReader, type CgroupPaths } from "../src/streams/cgroup.js";
import type { LogLine } from "../src/streams/log-line.js";
import { timestampOfMs } from "../src/streams/log-line.js";
import { LogPipeline } from "../src/streams/logs.js";
import { NatsPublisher } from "../src/streams/nats.js";
import { compileGrep, queryRings } from "../src/streams/query.js";
import { RingBuffer } from "../src/streams/ring.js";
import { nopLogger } from "../src/util/logger.js";
import { ms, summarize, timeRuns } from "./stats.js";

const IMAGE = "berth-test/busybox:1";
const NATS = process.env["BENCH_NATS_URL"] ?? "nats://127.0.0.1:4299";
const parts = new Set((process.env["BENCH_STREAMS"] ?? "query,latency,metrics").split(","));
const SECONDS = Number(process.env["BENCH_SECONDS"] ?? 5);
const CONTAINERS = Number(process.env["BENCH_CONTAINERS"] ?? 50);
const METRICS_SECONDS = Number(process.env["BENCH_METRICS_SECONDS"] ?? 10);
const docker = new Docker({ socketPath: "/var/run/docker.sock" });
const PROJECT = "bench.streams";

async function startContainer(name: string, script: string, managed = false): Promise<Docker.Container> {
  await docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => {});
  const labels: Record<string, string> = managed
    ? { "berth.dev/managed": "true", "berth.dev/project": PROJECT, "berth.dev/container": "app" }
    : { "berth.bench": "streams" };
  const c = await docker.createContainer({ name, Image: IMAGE, Cmd: ["sh", "-c", script], Labels: labels });
  await c.start();
  return c;
}

function line(i: number): string {
  const level = ["INFO", "DEBUG", "WARN", "ERROR"][i % 4] ?? "INFO";
  return `2026-01-01T00:00:00Z ${level} request id=${i} path=/api/v1/items/${i % 97} took=${i % 13}ms`;
}

async function benchQuery(): Promise<void> {
  const { inProcess, http, docker: dockerTail } = await measureQuery(500);
  const a = summarize(inProcess);
  const h = summarize(http);
  const b = summarize(dockerTail);
  console.log("streams/query: tail=1000 grep=ERROR|WARN over a full 10k ring");
  console.log(`  in process         p50 ${ms(a.median)}  p99 ${ms(a.p99)}`);
  console.log(`  HTTP (end to end)  p50 ${ms(h.median)}  p99 ${ms(h.p99)}`);
  console.log(`  baseline: Docker logs tail=1000  p50 ${ms(b.median)}  p99 ${ms(b.p99)}`);
  console.log(
    `  ratio HTTP/Docker  p50 ${(h.median / b.median).toFixed(3)}  p99 ${(h.p99 / b.p99).toFixed(3)}   (goal: p99 < 5 ms)`,
  );
}

/**
 * A log query (tail 1000, regex) over a full 10k-line ring, in process and over HTTP, `runs` times
 * each, against `runs / 5` Docker logs API requests with tail=1000 of a container with 10k lines:
 * milliseconds per query. Used by bench/gate too.
 */
export async function measureQuery(
  runs: number,
): Promise<{ inProcess: number[]; http: number[]; docker: number[] }> {
  const ring = new RingBuffer<LogLine>(10_000);
  for (let i = 0; i < 10_000; i++)
    ring.push({ ts: timestampOfMs(1e12 + i), stream: "stdout", container: "app", line: line(i) });
  const grep = compileGrep("ERROR|WARN");
  const inProcess = await timeRuns(runs, 50, () => queryRings([ring], { tail: 1000, grep }));

  const bus = new InProcessBus(nopLogger);
  const server = await startHttpServer({
    host: "127.0.0.1",
    port: 0,
    registry: new Registry(),
    service: {} as never,
    logger: nopLogger,
    ready: () => true,
    auth: "none",
    routes: [
      (r) => registerLogRoutes(r, { known: () => true, query: (_k, q) => queryRings([ring], q), bus }),
    ],
  });
  const url = `${server.address.url}/api/v1/projects/bench/streams/logs?tail=1000&grep=ERROR%7CWARN`;
  const http = await timeRuns(runs, 100, async () => (await fetch(url)).arrayBuffer());
  await server.close();

  const c = await startContainer(
    "berth-bench-streams-query",
    "seq 1 10000 | sed 's/$/ INFO request path=\\/api\\/v1\\/items took=3ms/'; exec sleep 3600",
  );
  await new Promise((r) => setTimeout(r, 1500));
  const dockerTail = await timeRuns(Math.max(20, Math.round(runs / 5)), 10, () =>
    c.logs({ stdout: true, stderr: true, timestamps: true, tail: 1000, follow: false }),
  );
  await c.remove({ force: true });
  return { inProcess, http, docker: dockerTail };
}

async function benchLatency(): Promise<void> {
  const registry = new Registry();
  const client = createDockerClient({});
  const observer = new DockerObserver({ client, logger: nopLogger });
  const bus = new InProcessBus(nopLogger);
  const ac = new AbortController();
  const logs = new LogPipeline({
    docker: client,
    observed: observer,
    desired: { get: () => undefined },
    bus,
    logger: nopLogger,
  });
  const publisher = new NatsPublisher({ url: NATS, bus, registry, logger: nopLogger });
  observer.start(ac.signal);
  await observer.waitSynced();
  publisher.start(ac.signal);
  logs.start(ac.signal);
  const nc = await connect({ servers: NATS });
  console.log(`streams/latency: dockerd timestamp -> NATS subscriber (${SECONDS} s per rate)`);
  for (const rate of [1000, 10_000, 20_000]) {
    const perTick = rate / 100; // every 10 ms
    const name = `berth-bench-streams-rate-${rate}`;
    const sub = nc.subscribe("berth.logs.bench.streams.app");
    const latencies: number[] = [];
    let lines = 0;
    const reading = (async () => {
      for await (const m of sub) {
        const now = Date.now();
        for (const text of m.string().split("\n")) {
          if (!text) continue;
          const ts = (JSON.parse(text) as LogLine).ts;
          const sentMs = Date.parse(`${ts.slice(0, 23)}Z`);
          latencies.push(now - sentMs);
          lines++;
        }
      }
    })();
    await nc.flush();
    const c = await startContainer(name, `while true; do seq 1 ${perTick}; usleep 10000; done`, true);
    await new Promise((r) => setTimeout(r, 1000));
    latencies.length = 0;
    lines = 0;
    const started = Date.now();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const measured = lines / ((Date.now() - started) / 1000);
    sub.unsubscribe();
    await reading;
    await c.remove({ force: true });
    const s = summarize(latencies);
    console.log(
      `  target ${String(rate).padStart(5)}/s  measured ${Math.round(measured)}/s  p50 ${ms(s.median)}  p99 ${ms(s.p99)}  max ${ms(s.max)}   (goal at 20k: p99 < 50 ms)`,
    );
    await new Promise((r) => setTimeout(r, 500));
  }
  await nc.close();
  ac.abort();
  await logs.stopped();
  await publisher.stopped();
  client.close();
}

function dockerdCpuSeconds(): number {
  const pid = readFileSync("/work/main/.cache/test-env/dockerd.pid", "utf8").trim();
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks
}

function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function measureCpu(seconds: number): Promise<{ own: number; dockerd: number }> {
  const o0 = ownCpuSeconds();
  const d0 = dockerdCpuSeconds();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return { own: ownCpuSeconds() - o0, dockerd: dockerdCpuSeconds() - d0 };
}

async function benchMetrics(): Promise<void> {
  const containers: Docker.Container[] = [];
  for (let i = 0; i < CONTAINERS; i++)
    containers.push(await startContainer(`berth-bench-streams-m${i}`, "exec sleep 3600"));
  const reader = new CgroupReader();
  const paths = (await Promise.all(containers.map((c) => reader.locate(c.id)))).filter(
    (p): p is CgroupPaths => p !== undefined,
  );
  await new Promise((r) => setTimeout(r, 1000));
  const idle = await measureCpu(METRICS_SECONDS);

  for (let i = 0; i < 3; i++) await Promise.all(paths.map((p) => reader.read(p))); // warm up (JIT)
  let samples = 0;
  const timer = setInterval(() => {
    for (const p of paths) void reader.read(p).then(() => samples++);
  }, 1000);
  const cgroup = await measureCpu(METRICS_SECONDS);
  clearInterval(timer);

  const streams = await Promise.all(
    containers.map((c) => c.stats({ stream: true }) as Promise<NodeJS.ReadableStream>),
  );
  let apiSamples = 0;
  for (const s of streams) s.on("data", () => apiSamples++);
  await new Promise((r) => setTimeout(r, 1000));
  apiSamples = 0;
  const api = await measureCpu(METRICS_SECONDS);
  for (const s of streams) (s as unknown as { destroy(): void }).destroy();
  await Promise.all(containers.map((c) => c.remove({ force: true })));

  const pct = (v: number) => `${((v / METRICS_SECONDS) * 100).toFixed(2)} %`;
  console.log(
    `streams/metrics: ${CONTAINERS} containers sampled every second for ${METRICS_SECONDS} s (CPU as % of one core)`,
  );
  console.log(`  idle (no sampling)    berth ${pct(idle.own)}  dockerd ${pct(idle.dockerd)}`);
  console.log(
    `  cgroup files          berth ${pct(cgroup.own)}  dockerd ${pct(cgroup.dockerd)}  samples ${samples}`,
  );
  console.log(
    `  baseline: stats API   berth ${pct(api.own)}  dockerd ${pct(api.dockerd)}  samples ${apiSamples}`,
  );
  const total = (x: { own: number; dockerd: number }) => x.own + x.dockerd - idle.own - idle.dockerd;
  console.log(
    `  ratio (berth+dockerd above idle) cgroup/stats-API ${(total(cgroup) / Math.max(1e-6, total(api))).toFixed(3)}`,
  );
}

/** Runs the parts chosen by BENCH_STREAMS. */
export async function run(): Promise<void> {
  if (parts.has("query")) await benchQuery();
  if (parts.has("latency")) await benchLatency();
  if (parts.has("metrics")) await benchMetrics();
}
