/**
 * Samples CPU, memory, network and block I/O of every running managed container whose project has
 * `spec.metrics.enabled`, every `spec.metrics.intervalSeconds`. Reads cgroup files when the engine
 * is local (no work for dockerd) and falls back to one stats API call per sample otherwise. Keeps a
 * short series per container, publishes each sample on the bus and feeds `berth_container_*`.
 */
import type { Registry } from "prom-client";
import type { DockerClient } from "../runtime/docker.js";
import type { ObservedContainer, ObservedContainers } from "../runtime/observed.js";
import type { Logger } from "../util/logger.js";
import type { StreamBus } from "./bus.js";
import type { CgroupPaths, CgroupReader } from "./cgroup.js";
import { registerContainerMetrics, type LatestSample } from "./container-metrics.js";
import { RingBuffer } from "./ring.js";
import { sampleFromStats, type ContainerSample } from "./sample.js";
import type { DesiredProject } from "../api/index.js";

/** Options of {@link MetricsSampler}. */
export interface MetricsSamplerOptions {
  docker: Pick<DockerClient, "containerStats">;
  observed: ObservedContainers;
  desired: { get(key: string): DesiredProject | undefined };
  bus: StreamBus;
  registry: Registry;
  logger: Logger;
  /** Reads cgroup files; undefined forces the stats API (remote engines). */
  cgroups: CgroupReader | undefined;
  /** Scheduler tick; default 250 ms. Each container is sampled at its project's interval. */
  tickMs?: number;
  /** Samples kept per container; default 300. */
  historySize?: number;
}

interface Tracked {
  id: string;
  projectKey: string;
  container: string;
  /** undefined: not looked up yet; null: no cgroup files here, use the API. */
  paths: CgroupPaths | null | undefined;
  history: RingBuffer<ContainerSample>;
  next: number;
}

/** A point of a container's series as the API serves it: the sample plus the CPU rate since the previous one. */
export type SeriesPoint = ContainerSample & { cpuCores: number };

/**
 * The sampler. {@link start} runs it until the signal aborts; reads ({@link series}, scrapes) are
 * synchronous and make no I/O. Sampling never blocks reconciles: it only reads files (or makes
 * one bounded API call) per container, one tick at a time.
 */
export class MetricsSampler {
  private readonly tracked = new Map<string, Tracked>();
  private busy = false;

  constructor(private readonly o: MetricsSamplerOptions) {
    registerContainerMetrics(o.registry, () => this.latest());
  }

  /** Samples until `signal` aborts. Returns at once. */
  start(signal: AbortSignal): void {
    const timer = setInterval(() => void this.tick(), this.o.tickMs ?? 250);
    timer.unref();
    signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  }

  /** The kept samples of a project's containers, oldest first. */
  series(projectKey: string): Array<{ container: string; points: SeriesPoint[] }> {
    const out: Array<{ container: string; points: SeriesPoint[] }> = [];
    for (const t of this.tracked.values()) {
      if (t.projectKey !== projectKey) continue;
      const samples = t.history.toArray();
      const points = samples.map((s, i) => ({ ...s, cpuCores: cpuRate(samples[i - 1], s) }));
      out.push({ container: t.container, points });
    }
    return out.sort((a, b) => a.container.localeCompare(b.container));
  }

  private *latest(): Iterable<LatestSample> {
    for (const t of this.tracked.values()) {
      const sample = t.history.at(t.history.size - 1);
      if (sample) yield { projectKey: t.projectKey, container: t.container, sample };
    }
  }

  /** One scheduling round: forget gone containers, sample the due ones. */
  async tick(now = Date.now()): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const seen = new Set<string>();
      const due: Tracked[] = [];
      for (const c of this.o.observed.all()) {
        const t = this.track(c, now);
        if (t === undefined) continue;
        seen.add(t.id);
        if (t.next <= now) due.push(t);
      }
      for (const [key, t] of this.tracked) if (!seen.has(t.id)) this.tracked.delete(key);
      await Promise.all(due.map((t) => this.sample(t, now)));
    } finally {
      this.busy = false;
    }
  }

  private track(c: ObservedContainer, now: number): Tracked | undefined {
    if (!c.running || c.projectKey === undefined || c.containerName === undefined) return undefined;
    const metrics = this.o.desired.get(c.projectKey)?.project.spec.metrics;
    if (metrics === undefined || !metrics.enabled) return undefined;
    const key = `${c.projectKey}\u0000${c.containerName}`;
    let t = this.tracked.get(key);
    if (t === undefined || t.id !== c.id) {
      t = {
        id: c.id,
        projectKey: c.projectKey,
        container: c.containerName,
        paths: this.o.cgroups ? undefined : null,
        history: new RingBuffer(this.o.historySize ?? 300),
        next: now,
      };
      this.tracked.set(key, t);
    }
    return t;
  }

  private async sample(t: Tracked, now: number): Promise<void> {
    const interval = (this.o.desired.get(t.projectKey)?.project.spec.metrics.intervalSeconds ?? 2) * 1000;
    t.next = now + interval;
    let sample: ContainerSample;
    try {
      if (t.paths === undefined) t.paths = (await this.o.cgroups?.locate(t.id)) ?? null;
      if (t.paths !== null && this.o.cgroups) {
        sample = { ...(await this.o.cgroups.read(t.paths)), time: Date.now(), source: "cgroup" };
      } else {
        sample = sampleFromStats(await this.o.docker.containerStats(t.id), Date.now());
      }
    } catch (err) {
      this.o.logger.debug("container sample failed", { containerId: t.id, err });
      return;
    }
    const prev = t.history.at(t.history.size - 1);
    t.history.push(sample);
    this.o.bus.publish({
      kind: "metrics",
      projectKey: t.projectKey,
      container: t.container,
      sample: { ...sample, time: new Date(sample.time).toISOString(), cpuCores: cpuRate(prev, sample) },
    });
  }
}

function cpuRate(prev: ContainerSample | undefined, s: ContainerSample): number {
  if (prev === undefined || s.time <= prev.time || s.cpuSeconds < prev.cpuSeconds) return 0;
  return (s.cpuSeconds - prev.cpuSeconds) / ((s.time - prev.time) / 1000);
}
