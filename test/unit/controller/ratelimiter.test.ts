import { describe, expect, it } from "vitest";
import {
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
  TokenBucketRateLimiter,
  defaultRateLimiter,
} from "../../../src/controller/ratelimiter.js";
import { FakeClock } from "../../helpers/fake-clock.js";

describe("ItemExponentialRateLimiter", () => {
  it("doubles from 5 ms per key and caps at 5 minutes", () => {
    const limiter = new ItemExponentialRateLimiter();
    const delays = Array.from({ length: 30 }, () => limiter.when("ns/a"));
    expect(delays.slice(0, 6)).toEqual([5, 10, 20, 40, 80, 160]);
    expect(delays[15]).toBe(5 * 2 ** 15); // 163 840 ms, still below the cap
    expect(delays[16]).toBe(300_000);
    expect(delays.slice(16).every((d) => d === 300_000)).toBe(true);
    expect(limiter.numRequeues("ns/a")).toBe(30);
    expect(limiter.when("ns/b")).toBe(5);
  });

  it("starts over after forget and never overflows", () => {
    const limiter = new ItemExponentialRateLimiter({ baseDelayMs: 1, maxDelayMs: 1000 });
    for (let i = 0; i < 2000; i++) expect(limiter.when("ns/a")).toBeLessThanOrEqual(1000);
    limiter.forget("ns/a");
    expect(limiter.numRequeues("ns/a")).toBe(0);
    expect(limiter.when("ns/a")).toBe(1);
  });
});

describe("TokenBucketRateLimiter", () => {
  it("allows a burst, then spaces requests at 1/qps, and refills over time", () => {
    const clock = new FakeClock();
    const limiter = new TokenBucketRateLimiter({ qps: 10, burst: 3, clock });
    expect([1, 2, 3].map(() => limiter.when("k"))).toEqual([0, 0, 0]);
    expect(limiter.when("k")).toBe(100);
    expect(limiter.when("k")).toBe(200);
    clock.advance(200); // pays back the two reservations
    expect(limiter.when("k")).toBe(100);
    clock.advance(10_000); // refills, but never beyond the burst
    expect([1, 2, 3].map(() => limiter.when("k"))).toEqual([0, 0, 0]);
    expect(limiter.when("k")).toBe(100);
  });
});

describe("MaxOfRateLimiter", () => {
  it("returns the longest delay and forgets in every limiter", () => {
    const clock = new FakeClock();
    const limiter = new MaxOfRateLimiter(
      new ItemExponentialRateLimiter(),
      new TokenBucketRateLimiter({ qps: 1, burst: 1, clock }),
    );
    expect(limiter.when("ns/a")).toBe(5);
    expect(limiter.when("ns/b")).toBe(1000); // bucket empty
    expect(limiter.numRequeues("ns/a")).toBe(1);
    limiter.forget("ns/a");
    expect(limiter.numRequeues("ns/a")).toBe(0);
  });

  it("is what defaultRateLimiter builds: 10 qps after a burst of 100", () => {
    const limiter = defaultRateLimiter({ clock: new FakeClock() });
    for (let i = 0; i < 100; i++) expect(limiter.when(`ns/k${i}`)).toBe(5);
    expect(limiter.when("ns/x")).toBe(100);
  });
});
