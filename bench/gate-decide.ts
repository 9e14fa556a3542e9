/**
 * The performance gate's decision, apart from any measuring (unit-tested in
 * test/unit/bench/gate.test.ts): each check measures one figure; a ratio over its threshold is
 * measured once more and fails only if it is over again; a count that must be zero fails at
 * once; a measurement that throws fails the check with its error.
 */

/** What one measurement gives: the figure compared with the threshold, and what it came from. */
export interface Measurement {
  value: number;
  /** e.g. "berth p50 1.30 s / bare p50 1.10 s". */
  detail: string;
}

/** One gated figure. */
export interface GateCheck {
  name: string;
  /** "ratio": passes when value <= threshold (re-measured once when over); "zero": value must be 0. */
  kind: "ratio" | "zero";
  threshold: number;
  /** Why the threshold is where it is: the figure that justified it. */
  justification: string;
  measure: () => Promise<Measurement>;
}

/** How a check ended. */
export interface CheckResult {
  name: string;
  kind: GateCheck["kind"];
  threshold: number;
  /** Every measurement taken, in order (two when a ratio was re-measured). */
  measurements: Measurement[];
  passed: boolean;
  /** The measurement's error, when it threw. */
  error?: string;
}

const over = (check: GateCheck, m: Measurement) =>
  check.kind === "zero" ? m.value !== 0 : !(m.value <= check.threshold);

async function attempt(check: GateCheck): Promise<Measurement | { error: string }> {
  try {
    return await check.measure();
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/** Runs one check to its decision. Never throws. */
export async function decide(check: GateCheck): Promise<CheckResult> {
  const base = { name: check.name, kind: check.kind, threshold: check.threshold };
  const measurements: Measurement[] = [];
  const first = await attempt(check);
  if ("error" in first) return { ...base, measurements, passed: false, error: first.error };
  measurements.push(first);
  if (!over(check, first)) return { ...base, measurements, passed: true };
  // a count is exact; only a ratio is noisy enough to deserve a second look
  if (check.kind === "zero") return { ...base, measurements, passed: false };
  const second = await attempt(check);
  if ("error" in second) return { ...base, measurements, passed: false, error: second.error };
  measurements.push(second);
  return { ...base, measurements, passed: !over(check, second) };
}

/** Runs every check in order (never in parallel: they would disturb each other). */
export async function runGate(
  checks: readonly GateCheck[],
  onResult: (r: CheckResult) => void = () => {},
): Promise<{ passed: boolean; results: CheckResult[] }> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    const r = await decide(check);
    onResult(r);
    results.push(r);
  }
  return { passed: results.every((r) => r.passed), results };
}

/** One line per result, e.g. `PASS converge/single 1.12 <= 1.60 (berth ... )`. Pure. */
export function formatResult(r: CheckResult): string {
  const verdict = r.passed ? "PASS" : "FAIL";
  const op = r.kind === "zero" ? "==" : "<=";
  const values = r.measurements.map((m) => m.value.toFixed(r.kind === "zero" ? 0 : 2)).join(", then ");
  const limit = r.kind === "zero" ? "0" : r.threshold.toFixed(2);
  const detail = r.measurements.map((m) => m.detail).join(" | ");
  if (r.error !== undefined)
    return `${verdict} ${r.name}: error: ${r.error}${values ? ` (after ${values})` : ""}`;
  return `${verdict} ${r.name} ${values} ${op} ${limit}${r.measurements.length > 1 ? " (re-measured)" : ""}   ${detail}`;
}
