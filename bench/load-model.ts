/**
 * The load test's model, apart from any I/O (unit-tested): k6-style ramping stages, and
 * thresholds on a per-operation summary (p95, p99, error rate).
 */
import { percentile } from "./stats.js";

/** Ramp linearly from the previous stage's target to `target` virtual users over `seconds`. */
export interface Stage {
  seconds: number;
  target: number;
}

/** Parses `20s:10,40s:30,10s:0` (seconds:target, k6's `stages`). Throws naming the bad stage. */
export function parseStages(text: string): Stage[] {
  return text.split(",").map((part) => {
    const m = /^(\d+)s?:(\d+)$/.exec(part.trim());
    if (!m) throw new Error(`bad stage "${part}": write SECONDSs:TARGET, e.g. 30s:20`);
    return { seconds: Number(m[1]), target: Number(m[2]) };
  });
}

/** Virtual users wanted `t` seconds after the start (0 after the last stage). Pure. */
export function usersAt(stages: readonly Stage[], t: number): number {
  let from = 0;
  let start = 0;
  for (const s of stages) {
    if (t < start + s.seconds) return Math.round(from + ((s.target - from) * (t - start)) / s.seconds);
    start += s.seconds;
    from = s.target;
  }
  return 0;
}

/** What happened to one operation: latencies of successes, and failures counted. */
export interface OpStats {
  ok: number[];
  errors: number;
}

/** A threshold on one operation (or "all"), like k6's `http_req_duration: ['p(95)<200']`. */
export interface Threshold {
  op: string;
  p95Ms?: number;
  p99Ms?: number;
  /** Largest share of failed calls, 0..1. */
  maxErrorRate?: number;
}

export interface ThresholdResult {
  threshold: Threshold;
  passed: boolean;
  text: string;
}

/** Checks thresholds against the stats by op (`all` merges every op). Pure. */
export function checkThresholds(
  stats: ReadonlyMap<string, OpStats>,
  thresholds: readonly Threshold[],
): ThresholdResult[] {
  const all: OpStats = { ok: [], errors: 0 };
  for (const s of stats.values()) {
    all.ok.push(...s.ok);
    all.errors += s.errors;
  }
  return thresholds.map((t) => {
    const s = t.op === "all" ? all : (stats.get(t.op) ?? { ok: [], errors: 0 });
    const n = s.ok.length + s.errors;
    const parts: string[] = [];
    let passed = n > 0;
    if (t.p95Ms !== undefined) {
      const v = percentile(s.ok, 95);
      passed &&= v < t.p95Ms;
      parts.push(`p95 ${v.toFixed(1)} ms < ${t.p95Ms}`);
    }
    if (t.p99Ms !== undefined) {
      const v = percentile(s.ok, 99);
      passed &&= v < t.p99Ms;
      parts.push(`p99 ${v.toFixed(1)} ms < ${t.p99Ms}`);
    }
    if (t.maxErrorRate !== undefined) {
      const rate = n > 0 ? s.errors / n : 1;
      passed &&= rate < t.maxErrorRate;
      parts.push(`errors ${(rate * 100).toFixed(2)} % < ${(t.maxErrorRate * 100).toFixed(0)} %`);
    }
    return { threshold: t, passed, text: `${passed ? "✓" : "✗"} ${t.op}: ${parts.join(", ")} (n=${n})` };
  });
}
