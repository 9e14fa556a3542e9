import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { WorkQueue } from "../../../src/controller/workqueue.js";
import { FakeClock, settle } from "../../helpers/fake-clock.js";

type Command =
  | { op: "add"; key: number; low: boolean }
  | { op: "addAfter"; key: number; ms: number }
  | { op: "addRateLimited"; key: number }
  | { op: "forget"; key: number }
  | { op: "get"; worker: number }
  | { op: "abort"; worker: number }
  | { op: "done"; worker: number }
  | { op: "advance"; ms: number };

const key = fc.integer({ min: 0, max: 4 });
const worker = fc.integer({ min: 0, max: 2 });
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ op: fc.constant("add" as const), key, low: fc.boolean() }),
  fc.record({ op: fc.constant("addAfter" as const), key, ms: fc.integer({ min: -5, max: 50 }) }),
  fc.record({ op: fc.constant("addRateLimited" as const), key }),
  fc.record({ op: fc.constant("forget" as const), key }),
  fc.record({ op: fc.constant("get" as const), worker }),
  fc.record({ op: fc.constant("get" as const), worker }),
  fc.record({ op: fc.constant("abort" as const), worker }),
  fc.record({ op: fc.constant("done" as const), worker }),
  fc.record({ op: fc.constant("done" as const), worker }),
  fc.record({ op: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 100 }) }),
);

interface Worker {
  state: "idle" | "waiting" | "holding";
  key?: string;
  abort?: AbortController;
}

/** Drives a queue with simulated workers and records what the invariants need. */
class Simulation {
  readonly clock = new FakeClock();
  readonly queue = new WorkQueue({ clock: this.clock });
  readonly workers: Worker[] = [0, 1, 2].map(() => ({ state: "idle" }));
  readonly lastRequest = new Map<string, number>();
  readonly lastHandout = new Map<string, number>();
  readonly violations: string[] = [];
  tick = 0;

  async run(c: Command): Promise<void> {
    this.tick += 1;
    this.apply(c);
    await settle();
    if (this.queue.len() > 5) this.violations.push(`len ${this.queue.len()} exceeds the number of keys`);
  }

  /** Lets every worker finish and fetch until nothing is queued, held or delayed. */
  async finish(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      this.tick += 1;
      for (const w of this.workers) if (w.state === "holding") this.done(w);
      for (const w of this.workers) this.get(w);
      await settle();
      const busy = this.workers.some((w) => w.state === "holding");
      if (!busy && this.queue.len() === 0 && this.clock.pending() === 0) break;
      this.clock.advance(300_001);
      await settle();
    }
    this.queue.shutDown();
    await settle();
  }

  private apply(c: Command): void {
    switch (c.op) {
      case "add":
        this.request(c.key, (k) => this.queue.add(k, { priority: c.low ? "low" : "normal" }));
        return;
      case "addAfter":
        this.request(c.key, (k) => this.queue.addAfter(k, c.ms));
        return;
      case "addRateLimited":
        this.request(c.key, (k) => this.queue.addRateLimited(k));
        return;
      case "forget":
        this.queue.forget(`ns/k${c.key}`);
        return;
      case "get":
        this.get(this.worker(c.worker));
        return;
      case "abort":
        this.worker(c.worker).abort?.abort();
        return;
      case "done":
        this.done(this.worker(c.worker));
        return;
      case "advance":
        this.clock.advance(c.ms);
        return;
    }
  }

  private worker(index: number): Worker {
    const w = this.workers[index];
    if (w === undefined) throw new Error(`no worker ${index}`);
    return w;
  }

  private request(n: number, add: (key: string) => void): void {
    const k = `ns/k${n}`;
    this.lastRequest.set(k, this.tick);
    add(k);
  }

  private get(w: Worker): void {
    if (w.state !== "idle") return;
    const abort = new AbortController();
    Object.assign(w, { state: "waiting", abort });
    void this.queue.get(abort.signal).then((k) => this.received(w, k));
  }

  private received(w: Worker, k: string | undefined): void {
    w.abort = undefined;
    if (k === undefined) {
      w.state = "idle";
      return;
    }
    if (this.workers.some((o) => o.state === "holding" && o.key === k))
      this.violations.push(`${k} handed out twice`);
    Object.assign(w, { state: "holding", key: k });
    this.lastHandout.set(k, this.tick);
  }

  private done(w: Worker): void {
    if (w.state !== "holding" || w.key === undefined) return;
    const k = w.key;
    Object.assign(w, { state: "idle", key: undefined });
    this.queue.done(k);
  }
}

describe("WorkQueue properties", () => {
  it("never hands one key to two workers and processes every key after its last add", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 60 }), async (commands) => {
        const sim = new Simulation();
        for (const c of commands) await sim.run(c);
        await sim.finish();
        expect(sim.violations).toEqual([]);
        for (const [k, requestedAt] of sim.lastRequest) {
          expect(
            sim.lastHandout.get(k) ?? -1,
            `${k} last requested at ${requestedAt}`,
          ).toBeGreaterThanOrEqual(requestedAt);
        }
      }),
      { numRuns: 150 },
    );
  });
});
