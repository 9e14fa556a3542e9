/**
 * bench/cache: the cache tiers, each against a baseline measured in the same run.
 *  1. Status read p50/p99 from L1 (in process and over REST) vs a direct Docker inspect of the
 *     same project's containers.
 *  2. L1 hit ratio under a read-heavy mixed workload: REST reads of every project while spec edits
 *     make Berth recreate containers (goal > 95 %).
 *  3. Port claims per second through Redis with two instances contending, vs one instance on the
 *     state directory alone.
 * Needs Docker and the test Redis (bash scripts/test-env.sh up). Env: BENCH_CACHE_PROJECTS (8),
 * BENCH_CACHE_READS (2000), BENCH_CACHE_CLAIMS (2000).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { openPortTiers } from "../src/ports/tiers.js";
import { serveManager } from "../src/operator/serve.js";
import { startManager, type Manager } from "../src/operator/manager.js";
import { benchRunOptions } from "./options.js";
import { FilePortRegistry, PortAllocator } from "../src/ports/allocator.js";
import { nopLogger } from "../src/util/logger.js";
import { readTestEnv } from "../test/helpers/env.js";
import { ms, summarize } from "./stats.js";

const PROJECTS = Number(process.env["BENCH_CACHE_PROJECTS"] ?? 8);
const READS = Number(process.env["BENCH_CACHE_READS"] ?? 2000);
const CLAIMS = Number(process.env["BENCH_CACHE_CLAIMS"] ?? 2000);
const EDIT_EVERY = 50;
const IMAGE = "berth-test/busybox:1";
const docker = new Docker({ socketPath: "/var/run/docker.sock" });

function spec(name: string, greeting: string): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${name}, namespace: benchcache}
spec:
  containers:
    - name: web
      image: ${IMAGE}
      command: ["httpd", "-f", "-p", "8080"]
      env: [{name: GREETING, value: "${greeting}"}]
      ports: [{name: http, containerPort: 8080}]
`;
}

const us = (v: number): string => `${(v * 1000).toFixed(1)} us`;

async function sample(n: number, fn: () => unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

async function l1Counts(m: Manager): Promise<{ hit: number; miss: number }> {
  const metric = await m.registry.getSingleMetric("berth_cache_requests_total")?.get();
  const v = (r: string): number =>
    metric?.values.find((x) => x.labels.tier === "l1" && x.labels.result === r)?.value ?? 0;
  return { hit: v("hit"), miss: v("miss") };
}

async function statusReads(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "berth-bench-cache-"));
  const stateDir = mkdtempSync(join(tmpdir(), "berth-bench-cache-state-"));
  const stop = new AbortController();
  const names = Array.from({ length: PROJECTS }, (_, i) => `p${i}`);
  for (const n of names) writeFileSync(join(dir, `${n}.yaml`), spec(n, "one"));
  const options = benchRunOptions({ dir, stateDir, portRange: "28600-28699", networkPool: "10.214.0.0/16" });
  const manager = await startManager(options, nopLogger, stop.signal);
  const server = await serveManager(manager, nopLogger);
  try {
    const running = (): boolean =>
      names.every((n) => manager.status.get(`benchcache/${n}`)?.status.phase === "Running");
    const t0 = performance.now();
    while (!running()) {
      if (performance.now() - t0 > 60_000) throw new Error("projects not Running within 60 s");
      await new Promise((r) => setTimeout(r, 20));
    }
    const key = "benchcache/p0";
    const ids = manager.observer.byProject(key).map((c) => c.id);
    const url = `${server.address.url}/api/v1/projects/${key}`;
    const inspect = summarize(
      await sample(200, () => Promise.all(ids.map((id) => docker.getContainer(id).inspect()))),
    );
    const l1 = summarize(await sample(READS, () => manager.statusReader.get(key)));
    const rest = summarize(await sample(500, () => fetch(url).then((r) => r.json())));
    console.log(`  status read of one project (${ids.length} container), median / p99:`);
    console.log(`    docker inspect (baseline)  ${ms(inspect.median)} / ${ms(inspect.p99)}`);
    const ratio = (x: number): string => `${(x / inspect.median).toFixed(4)}x inspect's median`;
    console.log(`    L1 in process              ${us(l1.median)} / ${us(l1.p99)}   ${ratio(l1.median)}`);
    console.log(
      `    REST GET (L1 behind HTTP)  ${ms(rest.median)} / ${ms(rest.p99)}   ${ratio(rest.median)}`,
    );
    await mixedWorkload(manager, server.address.url, names);
  } finally {
    stop.abort();
    await manager.done;
    await server.close();
    await removeBenchProjects();
    rmSync(dir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function mixedWorkload(manager: Manager, base: string, names: string[]): Promise<void> {
  const before = await l1Counts(manager);
  let edits = 0;
  let reads = 0;
  const latencies: number[] = [];
  // One spec edit per EDIT_EVERY reads: the mix is fixed, whatever the machine's speed.
  const edit = (): void => {
    const n = names[edits % names.length] ?? "p0";
    writeFileSync(join(manager.options.dir, `${n}.yaml`), spec(n, `v${edits}`));
    edits++;
  };
  const started = performance.now();
  const readers = Array.from({ length: 8 }, async (_, w) => {
    for (let i = w; i < READS * 2; i += 8) {
      const n = names[i % names.length] ?? "p0";
      const path = i % 4 === 0 ? "/api/v1/projects" : `/api/v1/projects/benchcache/${n}`;
      const t = performance.now();
      await fetch(`${base}${path}`).then((r) => r.arrayBuffer());
      latencies.push(performance.now() - t);
      if (++reads % EDIT_EVERY === 0) edit();
    }
  });
  await Promise.all(readers);
  const seconds = (performance.now() - started) / 1000;
  const after = await l1Counts(manager);
  const hit = after.hit - before.hit;
  const miss = after.miss - before.miss;
  const ratio = hit / Math.max(1, hit + miss);
  console.log(
    `  mixed workload: ${reads} REST reads (1 in 4 a list of all ${names.length}) + ${edits} spec edits ` +
      `(container recreated) in ${seconds.toFixed(1)} s`,
  );
  const lat = summarize(latencies);
  console.log(`    REST read latency under churn: ${ms(lat.median)} / ${ms(lat.p99)} (median / p99)`);
  console.log(
    `    L1 hit ratio ${(ratio * 100).toFixed(1)} % (${hit} hits, ${miss} misses); goal > 95 %: ${ratio > 0.95 ? "met" : "NOT met"}`,
  );
}

async function removeBenchProjects(): Promise<void> {
  const filters = JSON.stringify({ label: ["berth.dev/managed=true"] });
  for (const c of await docker.listContainers({ all: true, filters })) {
    if (!c.Labels["berth.dev/project"]?.startsWith("benchcache.")) continue;
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
  for (const n of await docker.listNetworks({ filters })) {
    if (!n.Name.startsWith("berth-benchcache-")) continue;
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => undefined);
  }
}

async function allocator(registryUrl: string | undefined, name: string, range: string) {
  const dir = mkdtempSync(join(tmpdir(), `berth-bench-claims-${name}-`));
  const local = await FilePortRegistry.open(dir);
  const tiers = await openPortTiers({
    redisUrl: registryUrl,
    dir,
    local,
    registry: new Registry(),
    logger: nopLogger,
  });
  const alloc = await PortAllocator.create({
    registry: tiers.registry,
    range,
    ...(tiers.instance !== undefined ? { instance: tiers.instance } : {}),
    ephemeralRange: null,
    bindTest: () => Promise.resolve(true),
  });
  return {
    alloc,
    close: () => {
      tiers.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function claimRate(instances: Array<Awaited<ReturnType<typeof allocator>>>): Promise<number[]> {
  const t = performance.now();
  const results = await Promise.all(
    Array.from({ length: CLAIMS }, async (_, i) => {
      const inst = instances[i % instances.length];
      if (!inst) throw new Error("no instance");
      return inst.alloc.allocate(`bench/p${i}`, [
        { name: "web", ports: [{ name: "http", containerPort: 8080 }] },
      ]);
    }),
  );
  const seconds = (performance.now() - t) / 1000;
  const ports = results.flatMap((r) => r.assignments.map((a) => a.hostPort));
  if (ports.length !== CLAIMS || new Set(ports).size !== CLAIMS) {
    throw new Error(`claims: ${ports.length} granted, ${new Set(ports).size} distinct, want ${CLAIMS}`);
  }
  return [CLAIMS / seconds];
}

async function portClaims(): Promise<void> {
  const url = `${readTestEnv().redisUrl}/12`;
  const admin = new Redis(url);
  const range = "20000-29999";
  const l3: number[] = [];
  const l2: number[] = [];
  try {
    for (let round = 0; round < 3; round++) {
      const solo = await allocator(undefined, "solo", range);
      l3.push(...(await claimRate([solo])));
      solo.close();
      await admin.flushdb();
      const pair = [await allocator(url, "a", range), await allocator(url, "b", range)];
      l2.push(...(await claimRate(pair)));
      for (const p of pair) p.close();
      await admin.flushdb();
    }
  } finally {
    admin.disconnect();
  }
  const solo = summarize(l3);
  const shared = summarize(l2);
  console.log(`  port claims, ${CLAIMS} concurrent allocations, median of 3 rounds:`);
  console.log(`    one instance, state directory only (baseline)  ${solo.median.toFixed(0)} claims/s`);
  console.log(
    `    two instances contending through Redis         ${shared.median.toFixed(0)} claims/s   ` +
      `ratio ${(shared.median / solo.median).toFixed(2)}x baseline; no port granted twice`,
  );
}

export async function run(): Promise<void> {
  console.log(`bench/cache: ${PROJECTS} projects, ${READS} reads, ${CLAIMS} claims`);
  await statusReads();
  await portClaims();
}
