/**
 * Chart data from resource samples: cumulative counters become rates (CPU cores, network bytes
 * per second), kept per container in a bounded series; and SVG path data for a line chart. Pure.
 */
import type { MetricSample } from "./types.js";

/** One chart point of one container. */
export interface ChartPoint {
  time: number;
  cpuCores: number;
  memoryBytes: number;
  rxBytesPerSecond: number;
  txBytesPerSecond: number;
}

/** The metrics charted, with the point field each reads. */
export type ChartField = Exclude<keyof ChartPoint, "time">;

/** Per-container series, at most `limit` points each, fed sample by sample. */
export class MetricSeries {
  private readonly points = new Map<string, ChartPoint[]>();
  private readonly last = new Map<string, MetricSample>();

  constructor(readonly limit = 120) {}

  /**
   * Adds a sample. Rates come from the previous sample of the same container; the first sample
   * (or one after a counter reset, when the container was replaced) only sets the baseline.
   * Returns the point added, if any.
   */
  add(sample: MetricSample): ChartPoint | undefined {
    const prev = this.last.get(sample.container);
    if (prev && sample.time <= prev.time) return undefined; // duplicate or out of order
    this.last.set(sample.container, sample);
    if (!prev) return undefined;
    const seconds = (sample.time - prev.time) / 1000;
    const rate = (now: number, before: number) => (now >= before ? (now - before) / seconds : 0);
    const point: ChartPoint = {
      time: sample.time,
      cpuCores: rate(sample.cpuSeconds, prev.cpuSeconds),
      memoryBytes: sample.memoryWorkingSetBytes,
      rxBytesPerSecond: rate(sample.networkReceiveBytes, prev.networkReceiveBytes),
      txBytesPerSecond: rate(sample.networkTransmitBytes, prev.networkTransmitBytes),
    };
    const list = this.points.get(sample.container) ?? [];
    list.push(point);
    if (list.length > this.limit) list.splice(0, list.length - this.limit);
    this.points.set(sample.container, list);
    return point;
  }

  /** Container names with points, sorted. */
  containers(): string[] {
    return [...this.points.keys()].sort();
  }

  /** The points of one container, oldest first. */
  of(container: string): readonly ChartPoint[] {
    return this.points.get(container) ?? [];
  }
}

/** A round upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max`. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

/**
 * SVG path data for points in a `width` x `height` box: x spans [t0, t1], y spans [0, yMax]
 * upward. Empty for no points.
 */
export function linePath(
  points: ReadonlyArray<{ time: number; value: number }>,
  box: { width: number; height: number; t0: number; t1: number; yMax: number },
): string {
  if (points.length === 0) return "";
  const span = Math.max(1, box.t1 - box.t0);
  const x = (t: number) => ((t - box.t0) / span) * box.width;
  const y = (v: number) => box.height - (Math.min(v, box.yMax) / box.yMax) * box.height;
  return points
    .map((p, i) => `${i === 0 ? "M" : "L"}${x(p.time).toFixed(1)},${y(p.value).toFixed(1)}`)
    .join("");
}
