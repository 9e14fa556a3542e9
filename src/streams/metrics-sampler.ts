/**
 * Samples CPU, memory, network and block I/O of every running managed container whose project has
 * `spec.metrics.enabled`. Reads cgroup files when the engine is local (no work for dockerd) and
 * falls back to one stats API call per sample otherwise. Keeps a short series per container,
 * publishes each sample on the bus and feeds `berth_container_*`.
 *
 * The rate adapts to who is looking. A container is sampled every `spec.metrics.intervalSeconds`
 * while it is watched: during its first {@link WARMUP_MS} of running, while a bus listener takes
 * its project's metrics (an SSE stream, the dashboard's charts, the NATS publisher), and for
 * {@link READ_WATCH_MS} after its project's series was read (MCP `get_metrics`, the REST route).
 * Otherwise every {@link UNWATCHED_SAMPLE_MS} (or its interval, when longer). A `/metrics` scrape
 * samples, before it answers, every container whose newest sample is older than its interval, so
 * Prometheus reads values as fresh as the interval whatever the rate.
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

type MetricsSpec = DesiredProject["project"]["spec"]["metrics"];

/** How often a container nobody watches is sampled (its interval, when that is longer). */
export const UNWATCHED_SAMPLE_MS = 15_000;
/** A container is sampled at its interval for this long after it is first seen running. */
export const WARMUP_MS = 60_000;
/** A project's containers are sampled at their interval for this long after its series was read. */
export const READ_WATCH_MS = 120_000;
/**
 * Between two full scans (every second, or at once after a series read) a tick only compares the
 * tracked containers' due times: a container started or a listener subscribed is noticed within it.
 */
const SCAN_MS = 1_000;
/** A scrape waits at most this long for its samples (a slow stats API); late ones land afterwards. */
const SCRAPE_WAIT_MS = 2_000;

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
  /** Scheduler tick; default 250 ms. Each container is sampled at its own rate. */
  tickMs?: number;
  /** Samples kept per container, at most; default 300 (and none older than this many intervals). */
  historySize?: number;
  /** Milliseconds since the epoch; default `Date.now`. Tests only. */
  now?: () => number;
}

interface Tracked {
  id: string;
  projectKey: string;
  container: string;
  /** undefined: not looked up yet; null: no cgroup files here, use the API. */
  paths: CgroupPaths | null | undefined;
  history: RingBuffer<ContainerSample>;
  /** When it was first tracked (running), for the warm-up. */
  since: number;
  /** When it was last sampled (or tried); -Infinity before the first. */
  last: number;
  /** When it is due next, as of the last scan. */
  due: number;
  /** Its project's interval and its current sampling period (ms), as of the last scan. */
  interval: number;
  every: number;
}

/** A point of a container's series as the API serves it: the sample plus the CPU rate since the previous one. */
export type SeriesPoint = ContainerSample & { cpuCores: number };

/**
 * The sampler. {@link start} runs it until the signal aborts; reads ({@link series}) are
 * synchronous and make no I/O; a scrape calls {@link refresh}. Sampling never blocks reconciles:
 * it only reads a few small files (or makes one bounded API call) per due container.
 */
export class MetricsSampler {
  private readonly tracked = new Map<string, Tracked>();
  /** Project key -> until when its series readers keep it at full rate. */
  private readonly readUntil = new Map<string, number>();
  private round: Promise<void> | undefined;
  private scrape: Promise<void> | undefined;
  private readonly now: () => number;
  /** When the last full scan ran; -Infinity forces one at the next tick. */
  private scanned = -Infinity;

  constructor(private readonly o: MetricsSamplerOptions) {
    this.now = o.now ?? Date.now;
    registerContainerMetrics(
      o.registry,
      () => this.latest(),
      () => this.refresh(),
    );
  }

  /** Samples until `signal` aborts. Returns at once. */
  start(signal: AbortSignal): void {
    const timer = setInterval(() => void this.tick(), this.o.tickMs ?? 250);
    timer.unref();
    signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  }

  /**
   * The kept samples of a project's containers, oldest first. A read keeps the project at full
   * rate for {@link READ_WATCH_MS} (a reader that polls sees its project's interval).
   */
  series(projectKey: string): Array<{ container: string; points: SeriesPoint[] }> {
    this.readUntil.set(projectKey, this.now() + READ_WATCH_MS);
    this.scanned = -Infinity;
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

  /** One scheduling round: forget gone containers, sample the due ones. Skipped while one runs. */
  async tick(now = this.now()): Promise<void> {
    if (this.round) return;
    await this.run(now, false);
  }

  /**
   * Samples every tracked container whose newest sample is older than its project's interval
   * (what a scrape needs), after any round in progress. Concurrent callers share one round; it
   * resolves after at most {@link SCRAPE_WAIT_MS} even if stats API calls are still out.
   */
  refresh(): Promise<void> {
    this.scrape ??= (async () => {
      while (this.round) await this.round;
      const done = this.run(this.now(), true);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((r) => (timer = setTimeout(r, SCRAPE_WAIT_MS)));
      await Promise.race([done, late]);
      clearTimeout(timer);
    })().finally(() => (this.scrape = undefined));
    return this.scrape;
  }

  private async run(now: number, scrape: boolean): Promise<void> {
    const quick = !scrape && now - this.scanned < SCAN_MS;
    const round = quick ? this.sampleTracked(now) : this.sampleDue(now, scrape);
    this.round = round;
    try {
      await round;
    } finally {
      this.round = undefined;
    }
  }

  private async sampleDue(now: number, scrape: boolean): Promise<void> {
    this.scanned = now;
    for (const [key, until] of this.readUntil) if (until <= now) this.readUntil.delete(key);
    const seen = new Set<string>();
    const api: Array<Promise<void>> = [];
    for (const c of this.o.observed.all()) {
      const metrics = this.metricsOf(c);
      if (metrics === undefined) continue;
      const t = this.track(c, now);
      seen.add(t.id);
      t.interval = metrics.intervalSeconds * 1000;
      // a scrape keeps each container's own period and samples what is older than the interval
      if (!scrape) t.every = this.watched(t, now) ? t.interval : Math.max(t.interval, UNWATCHED_SAMPLE_MS);
      t.due = t.last + t.every;
      if (now - t.last < (scrape ? t.interval : t.every)) continue;
      t.last = now;
      t.due = now + t.every;
      const pending = this.sample(t, t.interval);
      if (pending) api.push(pending);
    }
    for (const [key, t] of this.tracked) if (!seen.has(t.id)) this.tracked.delete(key);
    await Promise.all(api);
  }

  /** Between scans: the tracked containers that are due, as the last scan scheduled them. */
  private async sampleTracked(now: number): Promise<void> {
    const api: Array<Promise<void>> = [];
    for (const t of this.tracked.values()) {
      if (t.due > now) continue;
      t.due = now + t.every;
      t.last = now;
      const pending = this.sample(t, t.interval);
      if (pending) api.push(pending);
    }
    await Promise.all(api);
  }

  private metricsOf(c: ObservedContainer): MetricsSpec | undefined {
    if (!c.running || c.projectKey === undefined || c.containerName === undefined) return undefined;
    const metrics = this.o.desired.get(c.projectKey)?.project.spec.metrics;
    return metrics?.enabled ? metrics : undefined;
  }

  private watched(t: Tracked, now: number): boolean {
    return (
      now - t.since < WARMUP_MS ||
      (this.readUntil.get(t.projectKey) ?? 0) > now ||
      this.o.bus.watched("metrics", t.projectKey)
    );
  }

  private track(c: ObservedContainer, now: number): Tracked {
    const key = `${c.projectKey}\u0000${c.containerName}`;
    let t = this.tracked.get(key);
    if (t === undefined || t.id !== c.id) {
      t = {
        id: c.id,
        projectKey: c.projectKey ?? "",
        container: c.containerName ?? "",
        paths: this.o.cgroups ? undefined : null,
        history: new RingBuffer(this.o.historySize ?? 300),
        since: now,
        last: -Infinity,
        due: now,
        interval: 2000,
        every: 2000,
      };
      this.tracked.set(key, t);
    }
    return t;
  }

  /**
   * Takes one sample: synchronously from cgroup files (returns undefined), or through the stats
   * API (returns the pending call). Never throws; a failed sample is logged at debug and skipped.
   */
  private sample(t: Tracked, intervalMs: number): Promise<void> | undefined {
    const cgroups = this.o.cgroups;
    if (cgroups && t.paths !== null) {
      try {
        t.paths ??= cgroups.locateNow(t.id) ?? null;
        if (t.paths !== null) {
          this.record(t, { ...cgroups.readNow(t.paths), time: this.now(), source: "cgroup" }, intervalMs);
          return undefined;
        }
      } catch (err) {
        this.o.logger.debug("container sample failed", { containerId: t.id, err });
        return undefined;
      }
    }
    return this.o.docker.containerStats(t.id).then(
      (stats) => this.record(t, sampleFromStats(stats, this.now()), intervalMs),
      (err: unknown) => this.o.logger.debug("container sample failed", { containerId: t.id, err }),
    );
  }

  private record(t: Tracked, sample: ContainerSample, intervalMs: number): void {
    const prev = t.history.at(t.history.size - 1);
    t.history.push(sample);
    // as many intervals as the ring holds samples: a slowly sampled container keeps no older ones
    const oldest = sample.time - t.history.capacity * intervalMs;
    t.history.dropOldestWhile((s) => s.time < oldest);
    if (!this.o.bus.watched("metrics", t.projectKey)) return;
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
