import { describe, expect, it } from "vitest";
import { linePath, MetricSeries, niceMax } from "../../../web/src/series.js";
import type { MetricSample } from "../../../web/src/types.js";

const sample = (
  container: string,
  time: number,
  cpuSeconds: number,
  rx = 0,
  tx = 0,
  mem = 1000,
): MetricSample => ({
  container,
  time,
  cpuSeconds,
  memoryWorkingSetBytes: mem,
  networkReceiveBytes: rx,
  networkTransmitBytes: tx,
});

describe("metric series", () => {
  it("turns cumulative counters into rates per container", () => {
    const s = new MetricSeries(10);
    expect(s.add(sample("api", 1000, 1, 100, 50))).toBeUndefined(); // baseline only
    expect(s.add(sample("api", 3000, 2, 2100, 250, 2048))).toEqual({
      time: 3000,
      cpuCores: 0.5,
      memoryBytes: 2048,
      rxBytesPerSecond: 1000,
      txBytesPerSecond: 100,
    });
    s.add(sample("db", 1000, 0));
    s.add(sample("db", 2000, 0.25));
    expect(s.containers()).toEqual(["api", "db"]);
    expect(s.of("db").map((p) => p.cpuCores)).toEqual([0.25]);
    expect(s.of("nope")).toEqual([]);
  });

  it("ignores repeated or older samples and shows a counter reset as zero, not negative", () => {
    const s = new MetricSeries(10);
    s.add(sample("api", 1000, 5, 500));
    expect(s.add(sample("api", 1000, 5, 500))).toBeUndefined();
    expect(s.add(sample("api", 500, 1))).toBeUndefined();
    const reset = s.add(sample("api", 2000, 0.1, 10)); // the container was replaced
    expect(reset?.cpuCores).toBe(0);
    expect(reset?.rxBytesPerSecond).toBe(0);
  });

  it("keeps at most its limit of points", () => {
    const s = new MetricSeries(3);
    for (let i = 0; i < 10; i++) s.add(sample("api", 1000 * (i + 1), i));
    expect(s.of("api").map((p) => p.time)).toEqual([8000, 9000, 10000]);
  });

  it("rounds axis maxima up to 1, 2 or 5 times a power of ten", () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(0.003)).toBe(0.005);
    expect(niceMax(1)).toBe(1);
    expect(niceMax(1.2)).toBe(2);
    expect(niceMax(4100)).toBe(5000);
    expect(niceMax(7e6)).toBe(1e7);
  });

  it("draws a path across the box with y growing upward and clamped to the maximum", () => {
    const box = { width: 100, height: 50, t0: 0, t1: 10, yMax: 10 };
    expect(linePath([], box)).toBe("");
    expect(
      linePath(
        [
          { time: 0, value: 0 },
          { time: 5, value: 5 },
          { time: 10, value: 20 },
        ],
        box,
      ),
    ).toBe("M0.0,50.0L50.0,25.0L100.0,0.0");
  });
});
