/**
 * The samples of bench/compose and how they are printed: medians of the runs with every run
 * listed, ratios against their goals, and for each phase dockerd's timeline of the median run
 * and (Berth's side) its Docker API calls per run.
 */
import { ApiUsage, timeline, type EventFilter, type EventLog } from "./docker-trace.js";
import { percentile } from "./stats.js";

/** One measured run: its wall time, and dockerd's timeline of it. */
export interface Sample {
  ms: number;
  timeline: string;
}

export const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: readonly number[]): number => percentile(xs, 50);
const list = (xs: readonly number[]): string => xs.map((x) => (x / 1000).toFixed(2)).join(", ");

/** A run from `t0` to `end` (epoch ms) with dockerd's timeline of the events `filter` picks. */
export async function sample(log: EventLog, t0: number, end: number, filter: EventFilter): Promise<Sample> {
  return { ms: end - t0, timeline: timeline(await log.between(t0, end, filter), t0) };
}

/** Per side and phase: samples, and for Berth the Docker API calls of all reps. */
export class Results {
  private readonly samples = new Map<string, Sample[]>();
  private readonly usage = new Map<string, ApiUsage>();

  add(name: string, s: Sample, usage?: ApiUsage): void {
    this.samples.set(name, [...(this.samples.get(name) ?? []), s]);
    if (usage) this.usage.set(name, (this.usage.get(name) ?? new ApiUsage()).plus(usage));
  }

  median(name: string): number {
    return median(this.times(name));
  }

  /** `label`, the median, and every run in seconds. */
  row(label: string, name: string): string {
    const xs = this.times(name);
    return `  ${label.padEnd(46)} ${secs(median(xs)).padStart(9)}   [${list(xs)}]`;
  }

  ratio(berth: string, peer: string, goal: number): string {
    const r = this.median(berth) / this.median(peer);
    return `    ratio ${r.toFixed(2)}x (goal <= ${goal.toFixed(1)}x: ${r <= goal ? "met" : "NOT met"})`;
  }

  /** dockerd's timeline of the median run, and the Docker API calls per run when recorded. */
  trace(name: string, label: string): string[] {
    const samples = this.samples.get(name) ?? [];
    const m = this.median(name);
    const mid = samples.find((s) => s.ms === m);
    const lines = [`  ${label}: dockerd timeline of the median run (ms from start): ${mid?.timeline ?? "-"}`];
    const usage = this.usage.get(name);
    if (usage) {
      lines.push(
        `  ${label}: Docker API calls per run (${samples.length} runs; p50 from histogram buckets):`,
      );
      lines.push(...usage.format(samples.length, m));
    }
    return lines;
  }

  private times(name: string): number[] {
    return (this.samples.get(name) ?? []).map((s) => s.ms);
  }
}
