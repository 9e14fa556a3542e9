import { describe, expect, it } from "vitest";
import { OrderedReads } from "../../../src/files/ordered-reads.js";

/** A promise and the function that resolves it. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve: (v: T) => void = () => {};
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("OrderedReads", () => {
  it("drops an earlier read of a path that finishes after a later one", async () => {
    const reads = new OrderedReads<string>();
    const applied: string[] = [];
    const slow = deferred<string>();
    const first = reads.run(
      "a",
      () => slow.promise,
      (v) => applied.push(v),
    );
    const second = reads.run(
      "a",
      () => Promise.resolve("new"),
      (v) => applied.push(v),
    );
    await second;
    slow.resolve("old");
    await first;
    expect(applied).toEqual(["new"]);
  });

  it("applies reads of different paths independently", async () => {
    const reads = new OrderedReads<string>();
    const applied: string[] = [];
    const slow = deferred<string>();
    const a = reads.run(
      "a",
      () => slow.promise,
      (v) => applied.push(v),
    );
    await reads.run(
      "b",
      () => Promise.resolve("b"),
      (v) => applied.push(v),
    );
    slow.resolve("a");
    await a;
    expect(applied).toEqual(["b", "a"]);
  });

  it("drops a read whose path was cancelled while it ran", async () => {
    const reads = new OrderedReads<string>();
    const applied: string[] = [];
    const slow = deferred<string>();
    const run = reads.run(
      "a",
      () => slow.promise,
      (v) => applied.push(v),
    );
    reads.cancel("a");
    slow.resolve("stale");
    await run;
    expect(applied).toEqual([]);
  });

  it("runs at most `concurrency` reads at once and skips overtaken ones that wait", async () => {
    const reads = new OrderedReads<string>(2);
    let running = 0;
    let most = 0;
    const started: string[] = [];
    const gates = new Map<string, (v: string) => void>();
    const read = (name: string) => () => {
      started.push(name);
      running++;
      most = Math.max(most, running);
      const d = deferred<string>();
      gates.set(name, d.resolve);
      return d.promise.finally(() => running--);
    };
    const applied: string[] = [];
    const all = [
      reads.run("a", read("a1"), (v) => applied.push(v)),
      reads.run("b", read("b1"), (v) => applied.push(v)),
      reads.run("c", read("c1"), (v) => applied.push(v)),
      reads.run("c", read("c2"), (v) => applied.push(v)),
    ];
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual(["a1", "b1"]);
    gates.get("a1")?.("a1");
    await new Promise((r) => setTimeout(r, 10));
    gates.get("b1")?.("b1");
    await new Promise((r) => setTimeout(r, 10));
    gates.get("c2")?.("c2");
    await Promise.all(all);
    expect(started).toEqual(["a1", "b1", "c2"]);
    expect(applied).toEqual(["a1", "b1", "c2"]);
    expect(most).toBe(2);
  });

  it("settled waits for the reads started before it, and stop drops every result", async () => {
    const reads = new OrderedReads<string>();
    const applied: string[] = [];
    const slow = deferred<string>();
    void reads.run(
      "a",
      () => slow.promise,
      (v) => applied.push(v),
    );
    let settled = false;
    const wait = reads.settled().then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    slow.resolve("a");
    await wait;
    expect(applied).toEqual(["a"]);

    const late = deferred<string>();
    const run = reads.run(
      "b",
      () => late.promise,
      (v) => applied.push(v),
    );
    reads.stop();
    late.resolve("b");
    await run;
    expect(applied).toEqual(["a"]);
  });
});
