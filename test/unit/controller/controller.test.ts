import { describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import type { ReconcileErrorReport, Result, Source } from "../../../src/controller/controller.js";
import { Controller, sourceFromFunction } from "../../../src/controller/controller.js";
import { TerminalError } from "../../../src/controller/errors.js";
import { registerControllerMetrics, registerWorkQueueMetrics } from "../../../src/controller/metrics.js";
import { FakeClock, settle } from "../../helpers/fake-clock.js";
import { metricValue } from "../../helpers/metric-value.js";

type Behaviour = (key: string, call: number, signal: AbortSignal) => Promise<Result>;

/** A controller on a fake clock whose reconcile is `behaviour`, with its metrics in a fresh Registry. */
function harness(behaviour: Behaviour, concurrency = 1) {
  const registry = new Registry();
  const clock = new FakeClock();
  const calls: { key: string; at: number }[] = [];
  const reports: ReconcileErrorReport[] = [];
  const controller = new Controller({
    name: "projects",
    concurrency,
    clock,
    metrics: registerControllerMetrics(registry).forController("projects"),
    queueMetrics: registerWorkQueueMetrics(registry).forQueue("projects"),
    onError: (report) => reports.push(report),
    reconcile: (key, signal) => {
      calls.push({ key, at: clock.now() });
      return behaviour(key, calls.filter((c) => c.key === key).length, signal);
    },
  });
  const abort = new AbortController();
  const stopped = controller.start(abort.signal);
  const metric = (name: string, labels: Record<string, string> = {}) =>
    metricValue(registry, name, { controller: "projects", ...labels });
  const times = (key: string) => calls.filter((c) => c.key === key).map((c) => c.at);
  return { controller, clock, calls, times, reports, abort, stopped, metric, registry };
}

describe("Controller outcome handling", () => {
  it("done: forgets the key and counts a success", async () => {
    const h = harness(async () => {});
    h.controller.enqueue("ns/a");
    await h.clock.advanceAsync(600_000);
    expect(h.times("ns/a")).toEqual([0]);
    expect(await h.metric("controller_runtime_reconcile_total", { result: "success" })).toBe(1);
    expect(await h.metric("controller_runtime_reconcile_total", { result: "error" })).toBe(0);
    expect(await h.metric("controller_runtime_reconcile_time_seconds_count")).toBe(1);
    h.abort.abort();
    await h.stopped;
  });

  it("requeueAfter: runs the key again after the delay", async () => {
    const h = harness(async (_key, call) => (call === 1 ? { requeueAfterMs: 1000 } : undefined));
    h.controller.enqueue("ns/a");
    await h.clock.advanceAsync(999);
    expect(h.times("ns/a")).toEqual([0]);
    await h.clock.advanceAsync(600_000);
    expect(h.times("ns/a")).toEqual([0, 1000]);
    expect(await h.metric("controller_runtime_reconcile_total", { result: "requeue_after" })).toBe(1);
    expect(await h.metric("controller_runtime_reconcile_total", { result: "success" })).toBe(1);
    expect(await metricValue(h.registry, "workqueue_retries_total", { name: "projects" })).toBe(1);
    h.abort.abort();
    await h.stopped;
  });

  it("requeueAfterMs 0: requeues rate limited without counting an error", async () => {
    const h = harness(async (_key, call) => (call === 1 ? { requeueAfterMs: 0 } : undefined));
    h.controller.enqueue("ns/a");
    await h.clock.advanceAsync(1000);
    expect(h.times("ns/a")).toEqual([0, 5]);
    expect(await h.metric("controller_runtime_reconcile_total", { result: "requeue" })).toBe(1);
    expect(await h.metric("controller_runtime_reconcile_errors_total")).toBe(0);
    h.abort.abort();
    await h.stopped;
  });

  it("error: retries with exponential backoff, reports, and resets the backoff after success", async () => {
    const h = harness(async (_key, call) => {
      if (call <= 3 || call === 5) throw new Error(`boom ${call}`);
    });
    h.controller.enqueue("ns/a");
    await h.clock.advanceAsync(1000);
    expect(h.times("ns/a")).toEqual([0, 5, 15, 35]);
    expect(await h.metric("controller_runtime_reconcile_errors_total")).toBe(3);
    expect(await h.metric("controller_runtime_reconcile_total", { result: "error" })).toBe(3);
    expect(await h.metric("controller_runtime_reconcile_total", { result: "success" })).toBe(1);
    expect(h.reports.map((r) => [r.retries, r.terminal])).toEqual([
      [1, false],
      [2, false],
      [3, false],
    ]);
    h.controller.enqueue("ns/a"); // fails once more: backoff starts over at 5 ms
    await h.clock.advanceAsync(1000);
    expect(h.times("ns/a").slice(4)).toEqual([1000, 1005]);
    h.abort.abort();
    await h.stopped;
  });

  it("terminal error: records it and does not retry, also when wrapped in a cause", async () => {
    const h = harness(async (key) => {
      const terminal = new TerminalError("spec can never be satisfied");
      throw key === "ns/a" ? terminal : new Error("while planning", { cause: terminal });
    });
    h.controller.enqueue("ns/a");
    h.controller.enqueue("ns/b");
    await h.clock.advanceAsync(600_000);
    expect(h.calls.map((c) => c.key)).toEqual(["ns/a", "ns/b"]);
    expect(await h.metric("controller_runtime_terminal_reconcile_errors_total")).toBe(2);
    expect(await h.metric("controller_runtime_reconcile_errors_total")).toBe(2);
    expect(await h.metric("controller_runtime_reconcile_total", { result: "error" })).toBe(2);
    expect(h.reports.map((r) => r.terminal)).toEqual([true, true]);
    h.abort.abort();
    await h.stopped;
  });
});

describe("Controller lifecycle", () => {
  it("passes the aborted signal to in-flight reconciles and waits for them", async () => {
    let finished = false;
    const h = harness(
      (_key, _call, signal) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener("abort", () =>
            setImmediate(() => {
              finished = true;
              reject(signal.reason as Error);
            }),
          ),
        ),
    );
    h.controller.enqueue("ns/a");
    await settle();
    expect(await h.metric("controller_runtime_active_workers")).toBe(1);
    h.abort.abort();
    await h.stopped;
    expect(finished).toBe(true);
    expect(await h.metric("controller_runtime_active_workers")).toBe(0);
    // A reconcile that failed because of the shutdown is not counted as an error.
    expect(await h.metric("controller_runtime_reconcile_errors_total")).toBe(0);
    expect(h.reports).toEqual([]);
  });

  it("never exceeds its concurrency nor runs one key twice at once", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const running = new Set<string>();
    let overlaps = 0;
    let completed = 0;
    let allDone = (): void => {};
    const finished = new Promise<void>((resolve) => (allDone = resolve));
    const h = harness(async (key, call) => {
      if (running.has(key)) overlaps += 1;
      running.add(key);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (call === 1) h.controller.enqueue(key); // must run again, but not concurrently
      for (let i = 0; i < (key.length % 3) + 1; i++) await settle();
      running.delete(key);
      inFlight -= 1;
      if (++completed === 400) allDone();
    }, 5);
    for (let i = 0; i < 200; i++) h.controller.enqueue(`ns/p${i}`);
    await finished;
    expect(overlaps).toBe(0);
    expect(maxInFlight).toBe(5);
    expect(await h.metric("controller_runtime_max_concurrent_reconciles")).toBe(5);
    h.abort.abort();
    await h.stopped;
    expect(h.calls).toHaveLength(400);
  });

  it("starts sources with an enqueue that honours priority", async () => {
    const seen: string[] = [];
    const sourceSignals: AbortSignal[] = [];
    const initialList = sourceFromFunction((signal, enqueue) => {
      sourceSignals.push(signal);
      for (let i = 0; i < 3; i++) enqueue(`ns/low${i}`, { priority: "low" });
    });
    const edits = {
      start(signal, enqueue) {
        sourceSignals.push(signal);
        enqueue("ns/edit");
      },
    } satisfies Source;
    const controller = new Controller({
      name: "projects",
      concurrency: 1,
      clock: new FakeClock(),
      sources: [initialList, edits],
      reconcile: async (key) => void seen.push(key),
    });
    const abort = new AbortController();
    const stopped = controller.start(abort.signal);
    await settle();
    expect(seen).toEqual(["ns/edit", "ns/low0", "ns/low1", "ns/low2"]);
    abort.abort();
    await stopped;
    expect(sourceSignals.every((s) => s.aborted)).toBe(true);
  });

  it("stops and rejects when a source fails to start", async () => {
    const started: AbortSignal[] = [];
    const controller = new Controller({
      name: "projects",
      sources: [
        sourceFromFunction((signal) => void started.push(signal)),
        sourceFromFunction(() => {
          throw new Error("cannot watch");
        }),
      ],
      reconcile: async () => {},
    });
    await expect(controller.start(new AbortController().signal)).rejects.toThrow("cannot watch");
    expect(started[0]?.aborted).toBe(true);
    expect(() => controller.start(new AbortController().signal)).toThrow(/already started/);
  });

  it("rejects a concurrency that is not a positive integer", () => {
    expect(() => new Controller({ name: "x", concurrency: 0, reconcile: async () => {} })).toThrow(
      RangeError,
    );
  });
});
