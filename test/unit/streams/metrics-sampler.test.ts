import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { DesiredProject } from "../../../src/api/index.js";
import type { ObservedContainer, ObservedContainers } from "../../../src/runtime/observed.js";
import { InProcessBus, type StreamMessage } from "../../../src/streams/bus.js";
import { CgroupReader, type CgroupPaths } from "../../../src/streams/cgroup.js";
import {
  MetricsSampler,
  READ_WATCH_MS,
  UNWATCHED_SAMPLE_MS,
  WARMUP_MS,
} from "../../../src/streams/metrics-sampler.js";
import type { SampleValues } from "../../../src/streams/sample.js";
import { nopLogger } from "../../../src/util/logger.js";

/** Counts the reads of each container; the values grow by one CPU second per read. */
class CountingReader extends CgroupReader {
  readonly reads = new Map<string, number>();
  override locateNow(id: string): CgroupPaths {
    return { version: 2, cpu: id, memoryUsage: id, memoryStat: id, io: id, procs: id };
  }
  override readNow(paths: CgroupPaths): SampleValues {
    const n = (this.reads.get(paths.cpu) ?? 0) + 1;
    this.reads.set(paths.cpu, n);
    return {
      cpuSeconds: n,
      memoryUsageBytes: 100,
      memoryWorkingSetBytes: 50,
      networkReceiveBytes: 0,
      networkTransmitBytes: 0,
      fsReadBytes: 0,
      fsWriteBytes: 0,
    };
  }
}

function container(project: string): ObservedContainer {
  return {
    id: `id-${project}`,
    projectKey: `default/${project}`,
    containerName: "app",
    running: true,
  } as unknown as ObservedContainer;
}

function setup(projects: string[]) {
  let now = 1_000_000;
  const reader = new CountingReader();
  const bus = new InProcessBus(nopLogger);
  const registry = new Registry();
  const containers = projects.map(container);
  const sampler = new MetricsSampler({
    docker: { containerStats: () => Promise.reject(new Error("no API in this test")) },
    observed: { all: () => containers } as unknown as ObservedContainers,
    desired: {
      get: () =>
        ({ project: { spec: { metrics: { enabled: true, intervalSeconds: 2 } } } }) as DesiredProject,
    },
    bus,
    registry,
    logger: nopLogger,
    cgroups: reader,
    now: () => now,
  });
  /** Ticks every 250 ms for `ms`; returns the reads of each project's container meanwhile. */
  const run = async (ms: number): Promise<Record<string, number>> => {
    const before = new Map(reader.reads);
    for (const end = now + ms; now < end; now += 250) await sampler.tick(now);
    return Object.fromEntries(
      projects.map((p) => [p, (reader.reads.get(`id-${p}`) ?? 0) - (before.get(`id-${p}`) ?? 0)]),
    );
  };
  return { sampler, bus, registry, run, reads: reader.reads };
}

describe("MetricsSampler rate", () => {
  it("samples at the project's interval during the warm-up, then every 15 s while nobody watches", async () => {
    const s = setup(["a"]);
    expect((await s.run(WARMUP_MS))["a"]).toBe(WARMUP_MS / 2000);
    expect((await s.run(60_000))["a"]).toBe(60_000 / UNWATCHED_SAMPLE_MS);
  });

  it("samples a project at its interval while a bus listener takes its metrics, and only that project", async () => {
    const s = setup(["a", "b"]);
    await s.run(WARMUP_MS);
    const seen: StreamMessage[] = [];
    const off = s.bus.subscribe((m) => seen.push(m), { kind: "metrics", projectKey: "default/a" });
    const watched = await s.run(30_000);
    expect(watched["a"]).toBeGreaterThanOrEqual(14);
    expect(watched["b"]).toBeLessThanOrEqual(2);
    expect(seen.length).toBe(watched["a"]);
    off();
    expect((await s.run(60_000))["a"]).toBeLessThanOrEqual(5);
  });

  it("keeps a project at full rate for a while after its series was read", async () => {
    const s = setup(["a", "b"]);
    await s.run(WARMUP_MS);
    expect(s.sampler.series("default/a")[0]?.points.length).toBeGreaterThan(0);
    const read = await s.run(READ_WATCH_MS);
    expect(read["a"]).toBeGreaterThanOrEqual(READ_WATCH_MS / 2000 - 1);
    expect(read["b"]).toBeLessThanOrEqual(READ_WATCH_MS / UNWATCHED_SAMPLE_MS + 1);
    expect((await s.run(60_000))["a"]).toBeLessThanOrEqual(5);
  });

  it("samples every stale container before a scrape answers", async () => {
    const s = setup(["a", "b"]);
    await s.run(WARMUP_MS + 5000);
    const before = new Map(s.reads);
    const text = await s.registry.metrics();
    expect(s.reads.get("id-a")).toBe((before.get("id-a") ?? 0) + 1);
    expect(s.reads.get("id-b")).toBe((before.get("id-b") ?? 0) + 1);
    expect(text).toContain(
      `berth_container_cpu_usage_seconds_total{namespace="default",project="a",container="app"} ${s.reads.get("id-a")}`,
    );
    // a second scrape within the interval reuses the fresh samples
    await s.registry.metrics();
    expect(s.reads.get("id-a")).toBe((before.get("id-a") ?? 0) + 1);
  });

  it("keeps no samples older than 300 intervals", async () => {
    const s = setup(["a"]);
    await s.run(WARMUP_MS + 30 * 60_000);
    const points = s.sampler.series("default/a")[0]?.points ?? [];
    // 300 intervals of 2 s = 10 minutes, sampled every 15 s
    expect(points.length).toBeLessThanOrEqual(600_000 / UNWATCHED_SAMPLE_MS + 1);
    expect(points.length).toBeGreaterThanOrEqual(600_000 / UNWATCHED_SAMPLE_MS - 1);
  });
});
