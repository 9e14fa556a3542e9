import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { registerHealthMetrics } from "../../../src/operator/health-metrics.js";

describe("health metrics", () => {
  it("reports configured dependencies only, the build, the log bytes and the loop lag", async () => {
    const registry = new Registry();
    const stop = new AbortController();
    let docker = true;
    registerHealthMetrics(
      registry,
      { dependencies: { docker: () => docker, redis: () => false }, version: "9.9.9", logBytes: () => 1234 },
      stop.signal,
    );
    let text = await registry.metrics();
    expect(text).toContain('berth_dependency_up{dependency="docker"} 1');
    expect(text).toContain('berth_dependency_up{dependency="redis"} 0');
    expect(text).not.toContain('dependency="nats"');
    expect(text).toMatch(/berth_build_info\{version="9\.9\.9",node="[\d.]+"\} 1/);
    expect(text).toContain("berth_log_ring_bytes 1234");
    docker = false;
    // a busy loop past one sample period shows up as lag
    await new Promise((r) => setTimeout(r, 450));
    const t = performance.now();
    while (performance.now() - t < 150) {
      /* busy */
    }
    await new Promise((r) => setTimeout(r, 100));
    text = await registry.metrics();
    stop.abort();
    expect(text).toContain('berth_dependency_up{dependency="docker"} 0');
    const count = /berth_event_loop_lag_seconds_count (\d+)/.exec(text);
    expect(Number(count?.[1])).toBeGreaterThanOrEqual(1);
    const sum = /berth_event_loop_lag_seconds_sum ([\d.e-]+)/.exec(text);
    expect(Number(sum?.[1])).toBeGreaterThan(0.05);
  });
});
