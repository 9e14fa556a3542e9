/**
 * bench/converge: how fast Berth turns specs into answering containers, against bare dockerode
 * and docker-compose doing the same work in the same run.
 *
 *   npm run bench -- converge            all four parts
 *   BENCH_CONVERGE=single,cold,restart,noop npm run bench -- converge
 *   BENCH_PROJECTS=100 BENCH_NOOP=1000 BENCH_REPS=20
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { startManager, type Manager } from "../src/operator/manager.js";
import { composeBinary } from "./compose-kit.js";
import { benchRunOptions } from "./options.js";
import { nopLogger } from "../src/util/logger.js";
import { ms, summarize } from "./stats.js";

const IMAGE = "berth-test/busybox:1";
const CMD = ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"];
const parts = new Set((process.env["BENCH_CONVERGE"] ?? "single,cold,restart,noop").split(","));
const PROJECTS = Number(process.env["BENCH_PROJECTS"] ?? 100);
const NOOP = Number(process.env["BENCH_NOOP"] ?? 1000);
const REPS = Number(process.env["BENCH_REPS"] ?? 20);
const docker = new Docker({ socketPath: "/var/run/docker.sock" });

function spec(name: string, hostPort: number, state = "Running"): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${name}, namespace: bench, labels: {bench: converge}}
spec:
  state: ${state}
  containers:
    - name: web
      image: ${IMAGE}
      command: ${JSON.stringify(CMD)}
      ports: [{name: http, containerPort: 8080, hostPort: ${hostPort}}]
`;
}

/**
 * Polls until the port answers 200. Each attempt has a short timeout: a connection opened while
 * the container starts can hang in docker-proxy for most of a second, which would measure the
 * poller, not the system.
 */
async function answers(port: number, deadlineMs = 60_000): Promise<void> {
  const end = performance.now() + deadlineMs;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(50) });
      await r.text();
      if (r.ok) return;
    } catch {
      // not yet
    }
    if (performance.now() > end) throw new Error(`port ${port} never answered`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Removes the bench's own containers and networks: bare ones, compose's, and Berth's in namespace `bench`. */
async function cleanup(): Promise<void> {
  const ours = (labels: Record<string, string> | undefined) =>
    labels?.["bench.berth/bare"] === "true" ||
    labels?.["com.docker.compose.project"] === "berthbench" ||
    (labels?.["berth.dev/project"] ?? "").startsWith("bench.");
  const cs = await docker.listContainers({ all: true });
  await bounded(
    cs.filter((c) => ours(c.Labels)),
    8,
    (c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => {}),
  );
  const ns = await docker.listNetworks();
  await bounded(
    ns.filter((n) => ours(n.Labels)),
    8,
    (n) =>
      docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => {}),
  );
}

/** Fails loudly instead of hanging the whole run on one stuck call. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** Bare dockerode: network, create, start, first HTTP 200: what Berth does for one project. */
async function bareOne(i: number, port: number): Promise<void> {
  return within(60_000, `bare project ${i}`, bareOneUnbounded(i, port));
}

async function bareOneUnbounded(i: number, port: number): Promise<void> {
  const answered = answers(port); // polled from the start, as for Berth
  answered.catch(() => {}); // awaited below; a failure before then must not go unhandled
  const net = `bench-bare-${i}`;
  // like Berth, with a subnet of its own: Docker's default pools hold only about 30 networks
  const subnet = `10.214.${Math.floor(i / 4)}.${(i % 4) * 64}/26`;
  await docker.createNetwork({
    Name: net,
    Labels: { "bench.berth/bare": "true" },
    IPAM: { Driver: "default", Config: [{ Subnet: subnet }] },
  });
  const c = await docker.createContainer({
    name: `bench-bare-${i}`,
    Image: IMAGE,
    Entrypoint: CMD,
    Labels: { "bench.berth/bare": "true" },
    ExposedPorts: { "8080/tcp": {} },
    HostConfig: {
      NetworkMode: net,
      PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: String(port) }] },
    },
  });
  await c.start();
  await answered;
}

async function bounded<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

async function startBerth(
  dir: string,
  stateDir: string,
  range: string,
): Promise<{ manager: Manager; stop: AbortController }> {
  const stop = new AbortController();
  const options = benchRunOptions({ dir, stateDir, portRange: range });
  const manager = await startManager(options, nopLogger, stop.signal);
  const t0 = performance.now();
  while (!manager.ready()) {
    if (performance.now() - t0 > 30_000) throw new Error("berth not ready");
    await new Promise((r) => setTimeout(r, 5));
  }
  return { manager, stop };
}

/**
 * One project from spec write to its port answering, against bare dockerode doing the same, `reps`
 * times after 2 warm-up runs; milliseconds per run of each side. Used by bench/gate too.
 */
export async function measureSingle(reps: number): Promise<{ bare: number[]; ours: number[] }> {
  await cleanup();
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-"));
  const state = mkdtempSync(join(tmpdir(), "berth-bench-state-"));
  const berth = await startBerth(dir, state, "22000-22999");
  const bare: number[] = [];
  const ours: number[] = [];
  try {
    for (let i = 0; i < reps + 2; i++) {
      const port = 22100 + i;
      let t = performance.now();
      await bareOne(i, port);
      const b = performance.now() - t;
      await cleanup();
      const file = join(dir, `single-${i}.yaml`);
      t = performance.now();
      writeFileSync(file, spec(`single-${i}`, port + 400));
      await answers(port + 400);
      const o = performance.now() - t;
      unlinkSync(file);
      await waitGone(berth.manager, `bench/single-${i}`);
      if (i >= 2) {
        bare.push(b);
        ours.push(o);
      }
    }
  } finally {
    berth.stop.abort();
    await berth.manager.done;
    await cleanup();
    await cleanup();
    rmSync(dir, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  }
  return { bare, ours };
}

async function single(): Promise<void> {
  const { bare, ours } = await measureSingle(REPS);
  const sb = summarize(bare);
  const so = summarize(ours);
  console.log(`converge/single: spec written -> port answering, ${REPS} runs (median / p95)`);
  console.log(`  bare dockerode network+create+start+HTTP  ${ms(sb.median)} / ${ms(sb.p95)}`);
  console.log(
    `  berth (file write -> HTTP 200)            ${ms(so.median)} / ${ms(so.p95)}   ratio ${(so.median / sb.median).toFixed(2)}x (goal <= 1.25x)`,
  );
}

async function waitGone(manager: Manager, key: string): Promise<void> {
  const t0 = performance.now();
  while (manager.status.get(key) || manager.observer.byProject(key).length > 0) {
    if (performance.now() - t0 > 30_000) throw new Error(`${key} not removed`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function coldBare(limit: number): Promise<number> {
  const items = Array.from({ length: PROJECTS }, (_, i) => i);
  const t = performance.now();
  await bounded(items, limit, (i) => bareOne(i, 23000 + i));
  const took = performance.now() - t;
  await cleanup();
  return took;
}

function composeFile(dir: string): string {
  const services = Array.from(
    { length: PROJECTS },
    (_, i) =>
      `  s${i}:\n    image: ${IMAGE}\n    entrypoint: ${JSON.stringify(CMD)}\n    ports: ["127.0.0.1:${23000 + i}:8080"]\n`,
  ).join("");
  const file = join(dir, "docker-compose.yml");
  writeFileSync(file, `services:\n${services}`);
  return file;
}

async function cold(): Promise<void> {
  const floors: Record<number, number> = {};
  for (const limit of [1, 4, 8, 16]) floors[limit] = await coldBare(limit);
  const best = Math.min(...Object.values(floors));
  const bestLimit = Object.entries(floors).find(([, v]) => v === best)?.[0];
  const cdir = mkdtempSync(join(tmpdir(), "berth-bench-compose-"));
  let compose = NaN;
  try {
    const file = composeFile(cdir);
    const bin = composeBinary();
    const t = performance.now();
    execFileSync(bin, ["-f", file, "-p", "berthbench", "up", "-d"], { stdio: "ignore" });
    await Promise.all(Array.from({ length: PROJECTS }, (_, i) => answers(23000 + i)));
    compose = performance.now() - t;
    execFileSync(bin, ["-f", file, "-p", "berthbench", "down", "-t", "1"], { stdio: "ignore" });
  } catch (err) {
    console.log(`  docker compose failed: ${(err as Error).message.split("\n")[0]}`);
  } finally {
    rmSync(cdir, { recursive: true, force: true });
  }
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-"));
  const state = mkdtempSync(join(tmpdir(), "berth-bench-state-"));
  const berth = await startBerth(dir, state, "23000-23999");
  const t = performance.now();
  for (let i = 0; i < PROJECTS; i++) writeFileSync(join(dir, `p${i}.yaml`), spec(`p${i}`, 23200 + i));
  await Promise.all(Array.from({ length: PROJECTS }, (_, i) => answers(23200 + i)));
  const ours = performance.now() - t;
  console.log(`converge/cold: ${PROJECTS} projects from cold to all answering (one run each)`);
  for (const [limit, v] of Object.entries(floors))
    console.log(`  bare dockerode, ${limit.padStart(2)} in parallel   ${ms(v)}`);
  console.log(`  docker compose up -d             ${ms(compose)}`);
  console.log(
    `  berth                            ${ms(ours)}   ratio ${(ours / best).toFixed(2)}x best bare (${bestLimit} in parallel; goal <= 1.2x), ${(ours / compose).toFixed(2)}x compose`,
  );
  if (parts.has("restart")) await restart(berth, dir, state);
  if (parts.has("noop")) await noop(berth.manager, dir);
  berth.stop.abort();
  await berth.manager.done;
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
  rmSync(state, { recursive: true, force: true });
}

async function restart(
  berth: { manager: Manager; stop: AbortController },
  dir: string,
  state: string,
): Promise<void> {
  const before = new Map(berth.manager.observer.all().map((c) => [c.name, c.id]));
  berth.stop.abort();
  await berth.manager.done;
  const t = performance.now();
  const next = await startBerth(dir, state, "23000-23999");
  const keys = next.manager.desired.keys();
  while (
    !keys.every(
      (k) =>
        next.manager.status.get(k)?.status.phase === "Running" &&
        next.manager.status.get(k)?.status.lastReconcileTime,
    )
  ) {
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(Array.from({ length: PROJECTS }, (_, i) => answers(23200 + i)));
  const took = performance.now() - t;
  const after = next.manager.observer.all();
  const replaced = after.filter((c) => before.get(c.name) !== c.id).length;
  console.log(`converge/restart: operator restarted with ${PROJECTS} running projects`);
  console.log(`  containers replaced ${replaced} (goal 0); start to all Ready ${ms(took)} (goal < 2 s)`);
  berth.manager = next.manager;
  berth.stop = next.stop;
}

async function noop(manager: Manager, dir: string, running = PROJECTS): Promise<void> {
  const { samples, calls } = await measureNoopOn(manager, dir, running, NOOP);
  const s = summarize(samples);
  console.log(`converge/noop: resync of ${NOOP} projects (${running} running, the rest stopped), 7 runs`);
  console.log(
    `  median ${ms(s.median)}, p95 ${ms(s.p95)} (goal < 50 ms); Docker API calls ${calls} (goal 0)`,
  );
}

/**
 * Fills `dir` up to `total` projects with stopped ones, waits for all to be reconciled, then
 * enqueues every key 7 times over: milliseconds per resync, and the Docker API calls they made.
 */
async function measureNoopOn(
  manager: Manager,
  dir: string,
  running: number,
  total: number,
): Promise<{ samples: number[]; calls: number }> {
  for (let i = 0; i < total - running; i++)
    writeFileSync(
      join(dir, `idle${i}.yaml`),
      spec(`idle${i}`, 0, "Stopped").replace("hostPort: 0", "hostPort: 0"),
    );
  const expected = total;
  while (
    manager.desired.keys().length < expected ||
    manager.desired.keys().some((k) => manager.status.get(k)?.status.phase === undefined)
  ) {
    await new Promise((r) => setTimeout(r, 10));
  }
  await idle(manager);
  const samples: number[] = [];
  let calls = 0;
  for (let rep = 0; rep < 7; rep++) {
    const before = manager.docker.calls.count();
    const t = performance.now();
    for (const key of manager.desired.keys()) manager.controller.enqueue(key);
    await idle(manager);
    samples.push(performance.now() - t);
    calls += manager.docker.calls.count() - before;
  }
  return { samples, calls };
}

async function idle(manager: Manager): Promise<void> {
  const m = manager.registry;
  for (;;) {
    const depth =
      (await m.getSingleMetric("workqueue_depth")?.get())?.values.reduce((a, v) => a + v.value, 0) ?? 0;
    const active =
      (await m.getSingleMetric("controller_runtime_active_workers")?.get())?.values.reduce(
        (a, v) => a + v.value,
        0,
      ) ?? 0;
    if (depth === 0 && active === 0) return;
    await new Promise((r) => setImmediate(r));
  }
}

/** The no-op resync alone (BENCH_CONVERGE=noop): NOOP stopped projects, no 100-project cold start. */
async function noopAlone(): Promise<void> {
  const { samples, calls } = await measureNoop(NOOP);
  const s = summarize(samples);
  console.log(`converge/noop: resync of ${NOOP} projects (0 running, all stopped), 7 runs`);
  console.log(
    `  median ${ms(s.median)}, p95 ${ms(s.p95)} (goal < 50 ms); Docker API calls ${calls} (goal 0)`,
  );
}

/**
 * A no-op resync of `projects` stopped projects on a fresh operator, 7 times: milliseconds per
 * resync and the Docker API calls of all 7 (DESIGN: 0). Used by bench/gate too.
 */
export async function measureNoop(projects: number): Promise<{ samples: number[]; calls: number }> {
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-"));
  const state = mkdtempSync(join(tmpdir(), "berth-bench-state-"));
  const berth = await startBerth(dir, state, "23000-24999");
  try {
    return await measureNoopOn(berth.manager, dir, 0, projects);
  } finally {
    berth.stop.abort();
    await berth.manager.done;
    rmSync(dir, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  await cleanup();
  if (parts.has("single")) await single();
  if (parts.has("cold") || parts.has("restart")) await cold();
  else if (parts.has("noop")) await noopAlone();
}
