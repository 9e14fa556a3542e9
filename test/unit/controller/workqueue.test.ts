import { describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import { registerWorkQueueMetrics } from "../../../src/controller/metrics.js";
import { WorkQueue } from "../../../src/controller/workqueue.js";
import { FakeClock, settle } from "../../helpers/fake-clock.js";
import { metricValue } from "../../helpers/metric-value.js";

function newQueue(clock = new FakeClock()): { queue: WorkQueue; clock: FakeClock } {
  return { queue: new WorkQueue({ clock }), clock };
}

/** Takes every ready key (in order) without waiting, marking each done. */
async function drain(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (queue.len() > 0) {
    const key = await queue.get();
    if (key === undefined) break;
    keys.push(key);
    queue.done(key);
  }
  return keys;
}

describe("WorkQueue", () => {
  it("queues a key once however many times it is added", async () => {
    const { queue } = newQueue();
    queue.add("ns/a");
    queue.add("ns/b");
    queue.add("ns/a");
    queue.add("ns/a");
    expect(queue.len()).toBe(2);
    expect(await drain(queue)).toEqual(["ns/a", "ns/b"]);
  });

  it("never hands a key being processed to a second getter, and re-queues it on done", async () => {
    const { queue } = newQueue();
    queue.add("ns/a");
    expect(await queue.get()).toBe("ns/a");
    queue.add("ns/a");
    queue.add("ns/a");
    expect(queue.len()).toBe(0);
    let second: string | undefined;
    void queue.get().then((k) => (second = k));
    await settle();
    expect(second).toBeUndefined();
    queue.done("ns/a");
    await settle();
    expect(second).toBe("ns/a");
    queue.done("ns/a");
    expect(queue.len()).toBe(0);
  });

  it("serves waiting getters in call order", async () => {
    const { queue } = newQueue();
    const first = queue.get();
    const second = queue.get();
    queue.add("ns/a");
    queue.add("ns/b");
    expect(await first).toBe("ns/a");
    expect(await second).toBe("ns/b");
  });

  it("adds delayed keys in deadline order, the earliest deadline of a key winning", async () => {
    const { queue, clock } = newQueue();
    queue.addAfter("ns/late", 300);
    queue.addAfter("ns/early", 100);
    queue.addAfter("ns/mid", 200);
    queue.addAfter("ns/late", 50); // earlier deadline replaces 300
    queue.addAfter("ns/early", 500); // later deadline is ignored
    clock.advance(49);
    expect(queue.len()).toBe(0);
    clock.advance(1);
    expect(await drain(queue)).toEqual(["ns/late"]);
    clock.advance(250);
    expect(await drain(queue)).toEqual(["ns/early", "ns/mid"]);
    clock.advance(1000);
    expect(queue.len()).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it("uses one timer for many delayed keys", () => {
    const { queue, clock } = newQueue();
    for (let i = 0; i < 100; i++) queue.addAfter(`ns/k${i}`, 1000 - i);
    expect(clock.pending()).toBeLessThanOrEqual(1);
    clock.advance(1000);
    expect(queue.len()).toBe(100);
  });

  it("adds at once when the delay is not positive", () => {
    const { queue } = newQueue();
    queue.addAfter("ns/a", 0);
    queue.addAfter("ns/b", -5);
    expect(queue.len()).toBe(2);
  });

  it("delays rate-limited adds with per-key backoff and forgets on request", () => {
    const { queue, clock } = newQueue();
    queue.addRateLimited("ns/a");
    queue.addRateLimited("ns/a");
    expect(queue.numRequeues("ns/a")).toBe(2);
    clock.advance(4);
    expect(queue.len()).toBe(0);
    clock.advance(1); // first retry after 5 ms; the second (10 ms) merged into it
    expect(queue.len()).toBe(1);
    queue.forget("ns/a");
    expect(queue.numRequeues("ns/a")).toBe(0);
  });

  it("serves low-priority keys only when no normal key waits", async () => {
    const { queue } = newQueue();
    for (let i = 0; i < 3; i++) queue.add(`ns/low${i}`, { priority: "low" });
    queue.add("ns/edit");
    expect(await queue.get()).toBe("ns/edit");
    expect(await queue.get()).toBe("ns/low0");
    queue.add("ns/edit2");
    expect(await drain(queue)).toEqual(["ns/edit2", "ns/low1", "ns/low2"]);
  });

  it("promotes a queued low key when it is added with normal priority", async () => {
    const { queue } = newQueue();
    queue.add("ns/a", { priority: "low" });
    queue.add("ns/b", { priority: "low" });
    queue.add("ns/n1");
    queue.add("ns/b");
    queue.add("ns/n1", { priority: "low" }); // never demotes
    expect(queue.len()).toBe(3);
    expect(await drain(queue)).toEqual(["ns/n1", "ns/b", "ns/a"]);
  });

  it("promotes a low key re-added while it is processed", async () => {
    const { queue } = newQueue();
    queue.add("ns/a", { priority: "low" });
    expect(await queue.get()).toBe("ns/a");
    queue.add("ns/a", { priority: "low" });
    queue.add("ns/b", { priority: "low" });
    queue.add("ns/a");
    queue.done("ns/a");
    expect(await drain(queue)).toEqual(["ns/a", "ns/b"]);
  });

  it("unblocks waiting getters on shutdown and ignores later adds", async () => {
    const { queue, clock } = newQueue();
    queue.addAfter("ns/later", 10);
    const getters = [queue.get(), queue.get()];
    queue.shutDown();
    expect(await Promise.all(getters)).toEqual([undefined, undefined]);
    queue.add("ns/a");
    clock.advance(100);
    expect(queue.len()).toBe(0);
    expect(await queue.get()).toBeUndefined();
    expect(clock.pending()).toBe(0);
  });

  it("resolves a getter with undefined when its signal aborts, without losing keys", async () => {
    const { queue } = newQueue();
    const controller = new AbortController();
    const aborted = queue.get(controller.signal);
    controller.abort();
    expect(await aborted).toBeUndefined();
    queue.add("ns/a");
    expect(await queue.get()).toBe("ns/a");
  });

  it("drains pending keys before shutting down", async () => {
    const { queue } = newQueue();
    queue.add("ns/a");
    queue.add("ns/b");
    const a = await queue.get();
    let drained = false;
    const done = queue.shutDownWithDrain().then(() => (drained = true));
    queue.add("ns/c"); // refused while draining
    expect(await queue.get()).toBe("ns/b");
    queue.done("ns/b");
    await settle();
    expect(drained).toBe(false);
    queue.done(a ?? "");
    await done;
    expect(await queue.get()).toBeUndefined();
  });

  it("reports metrics to the registry it was given", async () => {
    const registry = new Registry();
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock, metrics: registerWorkQueueMetrics(registry).forQueue("projects") });
    const labels = { name: "projects" };
    queue.add("ns/a");
    queue.add("ns/a");
    queue.add("ns/b");
    queue.addAfter("ns/c", 10);
    expect(await metricValue(registry, "workqueue_adds_total", labels)).toBe(2);
    expect(await metricValue(registry, "workqueue_depth", labels)).toBe(2);
    expect(await metricValue(registry, "workqueue_retries_total", labels)).toBe(1);
    clock.advance(250);
    const key = await queue.get();
    clock.advance(2000);
    expect(await metricValue(registry, "workqueue_unfinished_work_seconds", labels)).toBe(2);
    expect(await metricValue(registry, "workqueue_longest_running_processor_seconds", labels)).toBe(2);
    queue.done(key ?? "");
    expect(await metricValue(registry, "workqueue_unfinished_work_seconds", labels)).toBe(0);
    expect(await metricValue(registry, "workqueue_queue_duration_seconds_sum", labels)).toBe(0.25);
    expect(await metricValue(registry, "workqueue_work_duration_seconds_sum", labels)).toBe(2);
    expect(await metricValue(registry, "workqueue_depth", labels)).toBe(2); // ns/b, ns/c
  });
});
