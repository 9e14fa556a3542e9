import { describe, expect, it } from "vitest";
import { decide, formatResult, runGate, type GateCheck } from "../../../bench/gate-decide.js";

/** A check whose measurements are `values` in turn (an Error is thrown). */
function check(
  kind: GateCheck["kind"],
  threshold: number,
  values: (number | Error)[],
): GateCheck & { calls: () => number } {
  let calls = 0;
  return {
    name: "c",
    kind,
    threshold,
    justification: "test",
    measure: () => {
      const v = values[calls++];
      if (v instanceof Error) return Promise.reject(v);
      if (v === undefined) return Promise.reject(new Error("measured too often"));
      return Promise.resolve({ value: v, detail: `v=${v}` });
    },
    calls: () => calls,
  };
}

describe("bench gate decision", () => {
  it("passes a ratio at or under its threshold after one measurement", async () => {
    const c = check("ratio", 1.5, [1.5]);
    const r = await decide(c);
    expect(r.passed).toBe(true);
    expect(c.calls()).toBe(1);
  });

  it("fails a ratio over its threshold after the re-measure is over too", async () => {
    const c = check("ratio", 1.5, [1.8, 1.6]);
    const r = await decide(c);
    expect(r.passed).toBe(false);
    expect(c.calls()).toBe(2);
    expect(r.measurements.map((m) => m.value)).toEqual([1.8, 1.6]);
    expect(formatResult(r)).toMatch(/^FAIL c 1\.80, then 1\.60 <= 1\.50 \(re-measured\)/);
  });

  it("passes a ratio whose re-measure is under the threshold (noise)", async () => {
    const c = check("ratio", 1.5, [2.4, 1.2]);
    const r = await decide(c);
    expect(r.passed).toBe(true);
    expect(c.calls()).toBe(2);
  });

  it("fails a NaN ratio (a baseline of zero or no samples)", async () => {
    expect((await decide(check("ratio", 1.5, [NaN, NaN]))).passed).toBe(false);
  });

  it("fails a non-zero Docker call count at once, without a re-measure", async () => {
    const c = check("zero", 0, [3, 0]);
    const r = await decide(c);
    expect(r.passed).toBe(false);
    expect(c.calls()).toBe(1);
    expect(formatResult(r)).toMatch(/^FAIL c 3 == 0/);
    expect((await decide(check("zero", 0, [0]))).passed).toBe(true);
  });

  it("fails a benchmark that errors, with its message, also when the re-measure errors", async () => {
    const r = await decide(check("ratio", 1.5, [new Error("port 22100 never answered")]));
    expect(r).toMatchObject({ passed: false, error: "port 22100 never answered" });
    expect(formatResult(r)).toBe("FAIL c: error: port 22100 never answered");
    const again = await decide(check("ratio", 1.5, [2, new Error("docker went away")]));
    expect(again).toMatchObject({ passed: false, error: "docker went away" });
  });

  it("fails the gate when any check fails, running every check", async () => {
    const a = check("ratio", 1, [0.5]);
    const b = check("zero", 0, [1]);
    const c = check("ratio", 1, [0.9]);
    const seen: string[] = [];
    const gate = await runGate([a, b, c], (r) => seen.push(formatResult(r).slice(0, 4)));
    expect(gate.passed).toBe(false);
    expect(seen).toEqual(["PASS", "FAIL", "PASS"]);
    expect((await runGate([a.kind === "ratio" ? check("ratio", 1, [0.5]) : a])).passed).toBe(true);
  });
});
