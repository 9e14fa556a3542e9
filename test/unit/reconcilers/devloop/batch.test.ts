import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ChangeBatcher, type BatchTiming } from "../../../../src/reconcilers/devloop/batch.js";

const timing: BatchTiming = { quietMs: 100, maxWaitMs: 1000, settleMs: 300, maxPaths: 1000 };

describe("ChangeBatcher", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function recorder() {
    const batches: string[][] = [];
    let release: () => void = () => {};
    let hold = false;
    const apply = (paths: readonly string[]) => {
      batches.push([...paths]);
      return hold ? new Promise<void>((r) => (release = r)) : Promise.resolve();
    };
    return { batches, apply, hold: (h: boolean) => (hold = h), release: () => release() };
  }

  it("turns a burst of 200 changes into one batch of 200 paths after the quiet time", async () => {
    const r = recorder();
    const b = new ChangeBatcher(r.apply, timing, () => Date.now());
    for (let i = 0; i < 200; i++) {
      b.add(`f${i}.txt`);
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(r.batches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(99);
    expect(r.batches).toHaveLength(1);
    expect(r.batches[0]).toHaveLength(200);
  });

  it("counts a path changed twice once", async () => {
    const r = recorder();
    const b = new ChangeBatcher(r.apply, timing, () => Date.now());
    b.add("a");
    b.add("a");
    b.add("b");
    await vi.advanceTimersByTimeAsync(100);
    expect(r.batches).toEqual([["a", "b"]]);
  });

  it("flushes a tree that never goes quiet after maxWaitMs", async () => {
    const r = recorder();
    const b = new ChangeBatcher(r.apply, timing, () => Date.now());
    for (let i = 0; i < 30; i++) {
      b.add(`f${i}`);
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(r.batches.length).toBeGreaterThanOrEqual(1);
    expect(r.batches[0]?.length).toBe(20); // 1000 ms at one change per 50 ms
  });

  it("waits settleMs after a change that announces more (a new directory)", async () => {
    const r = recorder();
    const b = new ChangeBatcher(r.apply, timing, () => Date.now());
    b.add("dir", true);
    await vi.advanceTimersByTimeAsync(200);
    b.add("dir/a");
    await vi.advanceTimersByTimeAsync(299);
    expect(r.batches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.batches).toEqual([["dir", "dir/a"]]);
  });

  it("never overlaps batches: changes during one form the next", async () => {
    const r = recorder();
    const b = new ChangeBatcher(r.apply, timing, () => Date.now());
    r.hold(true);
    b.add("a");
    await vi.advanceTimersByTimeAsync(100);
    expect(r.batches).toEqual([["a"]]);
    b.add("b");
    b.add("c");
    await vi.advanceTimersByTimeAsync(500);
    expect(r.batches).toHaveLength(1);
    r.hold(false);
    r.release();
    await vi.advanceTimersByTimeAsync(100);
    expect(r.batches).toEqual([["a"], ["b", "c"]]);
  });

  it("splits more than maxPaths into following batches", async () => {
    const r = recorder();
    const b = new ChangeBatcher(r.apply, { ...timing, maxPaths: 3 }, () => Date.now());
    for (const p of ["a", "b", "c", "d", "e"]) b.add(p);
    await vi.advanceTimersByTimeAsync(300);
    expect(r.batches).toEqual([
      ["a", "b", "c"],
      ["d", "e"],
    ]);
  });

  it("drops pending changes when closed, and survives a failing apply", async () => {
    const batches: string[][] = [];
    const b = new ChangeBatcher(
      (paths) => {
        batches.push([...paths]);
        return Promise.reject(new Error("boom"));
      },
      timing,
      () => Date.now(),
    );
    b.add("a");
    await vi.advanceTimersByTimeAsync(100);
    b.add("b");
    await vi.advanceTimersByTimeAsync(100);
    b.add("c");
    b.close();
    await vi.advanceTimersByTimeAsync(1000);
    expect(batches).toEqual([["a"], ["b"]]);
    expect(b.size).toBe(0);
  });
});
