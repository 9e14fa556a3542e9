import { describe, expect, it } from "vitest";
import { sleep } from "../../../src/util/abort.js";
import { Backoff, backoffDelay } from "../../../src/util/backoff.js";
import { FakeClock } from "../../helpers/fake-clock.js";

describe("backoffDelay", () => {
  it("grows by the factor from the base up to the cap", () => {
    const o = { baseMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, o))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelay(2, { ...o, factor: 3 })).toBe(900);
  });

  it("caps an overflowing exponent and never returns NaN", () => {
    expect(backoffDelay(5000, { baseMs: 5, maxMs: 300_000 })).toBe(300_000);
    expect(backoffDelay(5000, { baseMs: 0, maxMs: 300_000 })).toBe(0);
  });

  it("spreads by the jitter fraction and rounds", () => {
    const o = { baseMs: 1000, maxMs: 10_000, jitter: 0.2 };
    expect(backoffDelay(0, o, () => 0)).toBe(800);
    expect(backoffDelay(0, o, () => 0.5)).toBe(1000);
    expect(backoffDelay(0, o, () => 0.999_999)).toBe(1200);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(10, o);
      expect(d).toBeGreaterThanOrEqual(8000);
      expect(d).toBeLessThanOrEqual(12_000);
    }
  });
});

describe("Backoff", () => {
  it("counts failures until reset; peek shows the next delay without counting", () => {
    const b = new Backoff({ baseMs: 100, maxMs: 300 });
    expect(b.peek()).toBe(100);
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 300, 300]);
    expect(b.failures).toBe(4);
    expect(b.peek()).toBe(300);
    b.reset();
    expect(b.failures).toBe(0);
    expect(b.next()).toBe(100);
  });
});

describe("sleep", () => {
  it("resolves after the delay on the given clock", async () => {
    const clock = new FakeClock();
    let done = false;
    const slept = sleep(50, new AbortController().signal, clock).then(() => (done = true));
    await clock.advanceAsync(49);
    expect(done).toBe(false);
    await clock.advanceAsync(1);
    await slept;
    expect(done).toBe(true);
    expect(clock.pending()).toBe(0);
  });

  it("resolves at once on abort, or when already aborted, and cancels its timer", async () => {
    const clock = new FakeClock();
    const ctl = new AbortController();
    const slept = sleep(60_000, ctl.signal, clock);
    expect(clock.pending()).toBe(1);
    ctl.abort(new Error("stop"));
    await expect(slept).resolves.toBeUndefined();
    expect(clock.pending()).toBe(0);
    await expect(sleep(60_000, ctl.signal, clock)).resolves.toBeUndefined();
    expect(clock.pending()).toBe(0);
  });
});
