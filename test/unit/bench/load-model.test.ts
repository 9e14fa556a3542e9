import { describe, expect, it } from "vitest";
import { checkThresholds, parseStages, usersAt, type OpStats } from "../../../bench/load-model.js";

describe("load test model", () => {
  it("parses k6-style stages and ramps linearly between targets", () => {
    const stages = parseStages("10s:10,20s:30,10:0");
    expect(stages).toEqual([
      { seconds: 10, target: 10 },
      { seconds: 20, target: 30 },
      { seconds: 10, target: 0 },
    ]);
    expect(usersAt(stages, 0)).toBe(0);
    expect(usersAt(stages, 5)).toBe(5);
    expect(usersAt(stages, 20)).toBe(20);
    expect(usersAt(stages, 35)).toBe(15);
    expect(usersAt(stages, 41)).toBe(0);
    expect(() => parseStages("ten:3")).toThrow(/bad stage "ten:3"/);
  });

  it("passes and fails thresholds on percentiles and on the error rate over all ops", () => {
    const fast: OpStats = { ok: Array.from({ length: 100 }, (_, i) => i / 10), errors: 0 };
    const slow: OpStats = { ok: Array.from({ length: 100 }, () => 300), errors: 2 };
    const stats = new Map([
      ["get", fast],
      ["patch", slow],
    ]);
    const [get, patch, all, none] = checkThresholds(stats, [
      { op: "get", p95Ms: 100, p99Ms: 250 },
      { op: "patch", p95Ms: 250 },
      { op: "all", maxErrorRate: 0.01 },
      { op: "missing", p95Ms: 1 },
    ]);
    expect(get?.passed).toBe(true);
    expect(patch?.passed).toBe(false);
    expect(patch?.text).toMatch(/^✗ patch: p95 300\.0 ms < 250/);
    // 2 errors in 202 calls: just under 1 %
    expect(all?.passed).toBe(true);
    expect(
      checkThresholds(new Map([["x", { ok: [1], errors: 1 }]]), [{ op: "all", maxErrorRate: 0.01 }])[0]
        ?.passed,
    ).toBe(false);
    // an op that never ran fails rather than passing vacuously
    expect(none?.passed).toBe(false);
  });
});
