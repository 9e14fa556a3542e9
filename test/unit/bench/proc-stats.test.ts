import { describe, expect, it } from "vitest";
import { cpuSeconds, rssBytes, slope } from "../../../bench/proc-stats.js";

describe("proc stats", () => {
  it("fits a least-squares slope", () => {
    expect(
      slope([
        { x: 0, y: 1 },
        { x: 1, y: 3 },
        { x: 2, y: 5 },
      ]),
    ).toBeCloseTo(2);
    expect(slope([{ x: 0, y: 1 }])).toBeNaN();
  });

  it("reads this process's CPU and RSS from /proc", () => {
    const before = cpuSeconds(process.pid);
    // burn until the kernel has counted at least two ticks (a busy machine may delay them)
    const deadline = performance.now() + 5000;
    while (cpuSeconds(process.pid) - before < 0.02 && performance.now() < deadline) {
      for (let i = 0; i < 1e5; i++) Math.sqrt(i);
    }
    expect(cpuSeconds(process.pid) - before).toBeGreaterThanOrEqual(0.02);
    expect(rssBytes(process.pid)).toBeGreaterThan(10 * 1024 * 1024);
  });
});
