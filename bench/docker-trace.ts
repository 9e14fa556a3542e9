/**
 * Where a benchmark's time goes on the Docker side: the Docker API calls an in-process operator
 * made during a phase (from `berth_docker_api_*` in its Prometheus registry, read before and
 * after), and dockerd's own timeline of the phase (its event stream, recorded live, for the
 * containers and networks the phase touched). Read-only; never changes Docker.
 */
import type Docker from "dockerode";
import type { Registry } from "prom-client";
import { DOCKER_DURATION_METRIC, DOCKER_REQUESTS_METRIC } from "../src/runtime/docker-metrics.js";
import { percentile } from "./stats.js";

/** Calls of one operation: how many, their summed duration, the histogram's cumulative buckets. */
interface OpUsage {
  count: number;
  seconds: number;
  /** Upper bound (seconds) -> calls at or under it. */
  buckets: Map<number, number>;
  /** Result (other than ok) -> calls. */
  failures: Map<string, number>;
}

/** Operations that hold a stream open: their duration is a stream's life, not a request's. */
const STREAMS = new Set(["events", "logs", "stats", "pullImage", "buildImage"]);

/** Per-operation Docker API usage; `since` gives the calls between two snapshots. */
export class ApiUsage {
  constructor(readonly ops = new Map<string, OpUsage>()) {}

  /** Reads the registry's Docker API metrics now. */
  static async read(registry: Registry): Promise<ApiUsage> {
    const usage = new ApiUsage();
    const op = (name: string): OpUsage => {
      let u = usage.ops.get(name);
      if (!u) usage.ops.set(name, (u = { count: 0, seconds: 0, buckets: new Map(), failures: new Map() }));
      return u;
    };
    const duration = await registry.getSingleMetric(DOCKER_DURATION_METRIC)?.get();
    for (const v of duration?.values ?? []) {
      const name = String(v.labels["op"]);
      const metric = (v as { metricName?: string }).metricName ?? "";
      if (metric.endsWith("_sum")) op(name).seconds = v.value;
      else if (metric.endsWith("_count")) op(name).count = v.value;
      else if (metric.endsWith("_bucket") && v.labels["le"] !== "+Inf")
        op(name).buckets.set(Number(v.labels["le"]), v.value);
    }
    const requests = await registry.getSingleMetric(DOCKER_REQUESTS_METRIC)?.get();
    for (const v of requests?.values ?? []) {
      const result = String(v.labels["result"]);
      if (result !== "ok") op(String(v.labels["op"])).failures.set(result, v.value);
    }
    return usage;
  }

  /** The calls made after `before` was read. */
  since(before: ApiUsage): ApiUsage {
    const out = new ApiUsage();
    for (const [name, a] of this.ops) {
      const b = before.ops.get(name);
      const d: OpUsage = {
        count: a.count - (b?.count ?? 0),
        seconds: a.seconds - (b?.seconds ?? 0),
        buckets: new Map([...a.buckets].map(([le, n]) => [le, n - (b?.buckets.get(le) ?? 0)])),
        failures: new Map([...a.failures].map(([r, n]) => [r, n - (b?.failures.get(r) ?? 0)])),
      };
      if (d.count > 0) out.ops.set(name, d);
    }
    return out;
  }

  /** This usage plus `other` (to sum the reps of a phase). */
  plus(other: ApiUsage): ApiUsage {
    const out = new ApiUsage(new Map(this.ops));
    for (const [name, o] of other.ops) {
      const a = out.ops.get(name);
      if (!a) {
        out.ops.set(name, o);
        continue;
      }
      const add = (x: Map<number | string, number>, y: Map<number | string, number>) =>
        new Map([...new Set([...x.keys(), ...y.keys()])].map((k) => [k, (x.get(k) ?? 0) + (y.get(k) ?? 0)]));
      out.ops.set(name, {
        count: a.count + o.count,
        seconds: a.seconds + o.seconds,
        buckets: add(a.buckets, o.buckets) as Map<number, number>,
        failures: add(a.failures, o.failures) as Map<string, number>,
      });
    }
    return out;
  }

  /**
   * Lines of a compact per-op table, per run (`runs` reps summed in this usage): calls, summed
   * duration, the median from the histogram's buckets (linear within a bucket, so approximate),
   * and how many calls were in flight on average over `wallMs` (1.0: one request at a time).
   */
  format(runs: number, wallMs: number): string[] {
    const rows = [...this.ops].sort(([, a], [, b]) => b.seconds - a.seconds);
    const lines = rows.map(([name, u]) => {
      const failures = [...u.failures].filter(([, n]) => n > 0).map(([r, n]) => `${n / runs} ${r}`);
      const stream = STREAMS.has(name) ? " (stream: open time)" : "";
      return (
        `    ${name.padEnd(18)} ${(u.count / runs).toFixed(1).padStart(6)} calls ` +
        `${((u.seconds * 1000) / runs).toFixed(0).padStart(7)} ms total  p50~${(bucketMedian(u) * 1000).toFixed(1)} ms` +
        (failures.length ? `  [${failures.join(", ")}]` : "") +
        stream
      );
    });
    const busy = rows.filter(([n]) => !STREAMS.has(n)).reduce((a, [, u]) => a + u.seconds * 1000, 0) / runs;
    lines.push(
      `    requests in flight on average ${(busy / wallMs).toFixed(2)} (request time ${busy.toFixed(0)} ms / wall ${wallMs.toFixed(0)} ms)`,
    );
    return lines;
  }
}

/** The median of a histogram, interpolated linearly inside its bucket. */
function bucketMedian(u: OpUsage): number {
  const half = u.count / 2;
  let lower = 0;
  let below = 0;
  for (const [le, n] of [...u.buckets].sort(([a], [b]) => a - b)) {
    if (n >= half) return lower + ((le - lower) * (half - below)) / Math.max(1, n - below);
    lower = le;
    below = n;
  }
  return lower;
}

/** One dockerd event, as the events API gives it. */
interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> };
  timeNano: number;
}

/** Which events belong to the measured system: a container's labels, or a network's name. */
export interface EventFilter {
  container(labels: Record<string, string>): boolean;
  network(name: string): boolean;
}

/**
 * dockerd's container and network events, recorded live from `open` on. (Replaying them later
 * with `since` is no good: dockerd keeps only its last 256 events, fewer than 100 projects make.)
 * One reader; `between` drops what it has passed over, since phases come one after the other.
 */
export class EventLog {
  private events: DockerEvent[] = [];

  private constructor(private readonly stream: NodeJS.ReadableStream & { destroy(): void }) {
    let buf = "";
    stream.on("data", (chunk: Buffer) => {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) this.events.push(JSON.parse(line) as DockerEvent);
      }
    });
    stream.on("error", () => {});
  }

  /** Connects to dockerd's event stream; resolves once it is connected. */
  static async open(docker: Docker): Promise<EventLog> {
    const stream = (await docker.getEvents({
      filters: { type: ["container", "network"] },
    })) as NodeJS.ReadableStream & {
      destroy(): void;
    };
    return new EventLog(stream);
  }

  /**
   * The events between two epoch times (ms) of the containers and networks `filter` picks, once
   * the stream has had a moment to deliver the last of them; forgets every event before `toMs`.
   */
  async between(fromMs: number, toMs: number, filter: EventFilter): Promise<DockerEvent[]> {
    await new Promise((r) => setTimeout(r, 100));
    const picked = this.events.filter((e) => {
      const t = e.timeNano / 1e6;
      if (t < fromMs - 1 || t > toMs + 1) return false;
      const attrs = e.Actor.Attributes ?? {};
      return e.Type === "container" ? filter.container(attrs) : filter.network(attrs["name"] ?? "");
    });
    this.events = this.events.filter((e) => e.timeNano / 1e6 > toMs + 1);
    return picked;
  }

  close(): void {
    this.stream.destroy();
  }
}

const ACTIONS = ["network create", "create", "start", "kill", "die", "destroy", "network destroy"];

/**
 * One line of dockerd's timeline of a phase that began at `t0` (epoch ms): for each kind of
 * event, how many and the first..last offset in ms; then the median gap from one container's
 * create to the next container's create (small: creates overlapped) and from a container's
 * create to its own start.
 */
export function timeline(events: readonly DockerEvent[], t0: number): string {
  const by = new Map<string, number[]>();
  for (const e of events) {
    const key = e.Type === "network" ? `network ${e.Action}` : e.Action;
    if (!ACTIONS.includes(key)) continue;
    by.set(key, [...(by.get(key) ?? []), e.timeNano / 1e6 - t0]);
  }
  const parts = ACTIONS.filter((a) => by.has(a)).map((a) => {
    const ts = (by.get(a) ?? []).sort((x, y) => x - y);
    const first = ts[0] ?? NaN;
    const last = ts[ts.length - 1] ?? NaN;
    return ts.length === 1
      ? `${a} ${first.toFixed(0)}`
      : `${a} x${ts.length} ${first.toFixed(0)}..${last.toFixed(0)}`;
  });
  const creates = (by.get("create") ?? []).sort((x, y) => x - y);
  const gaps = creates.slice(1).map((t, i) => t - (creates[i] ?? t));
  if (gaps.length > 0) parts.push(`create-to-next-create p50 ${percentile(gaps, 50).toFixed(1)}`);
  const created = new Map<string, number>();
  const toStart: number[] = [];
  for (const e of events) {
    if (e.Type !== "container") continue;
    if (e.Action === "create") created.set(e.Actor.ID, e.timeNano);
    const c = created.get(e.Actor.ID);
    if (e.Action === "start" && c !== undefined) toStart.push((e.timeNano - c) / 1e6);
  }
  if (toStart.length > 0) parts.push(`create-to-start p50 ${percentile(toStart, 50).toFixed(1)}`);
  return parts.join("; ");
}
