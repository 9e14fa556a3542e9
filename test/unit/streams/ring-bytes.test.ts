import { describe, expect, it } from "vitest";
import { MAX_RING_BYTES, ringByteBound } from "../../../src/streams/logs.js";
import { RingBuffer } from "../../../src/streams/ring.js";

describe("RingBuffer byte bound", () => {
  const bound = { maxBytes: 10, sizeOf: (s: string) => s.length };

  it("drops the oldest items once the bytes pass the bound, and counts what it holds", () => {
    const ring = new RingBuffer<string>(100, bound);
    for (const s of ["aaaa", "bbbb", "cc"]) ring.push(s);
    expect(ring.toArray()).toEqual(["aaaa", "bbbb", "cc"]);
    expect(ring.bytes).toBe(10);
    ring.push("d");
    expect(ring.toArray()).toEqual(["bbbb", "cc", "d"]);
    expect(ring.bytes).toBe(7);
  });

  it("keeps the newest item even when it alone passes the bound", () => {
    const ring = new RingBuffer<string>(100, bound);
    ring.push("aa");
    ring.push("x".repeat(50));
    expect(ring.size).toBe(1);
    expect(ring.bytes).toBe(50);
  });

  it("still bounds by count, and keeps the byte count right when items are overwritten", () => {
    const ring = new RingBuffer<string>(2, { maxBytes: 1000, sizeOf: (s: string) => s.length });
    for (const s of ["a", "bb", "ccc", "dddd"]) ring.push(s);
    expect(ring.toArray()).toEqual(["ccc", "dddd"]);
    expect(ring.bytes).toBe(7);
    ring.resize(1);
    expect(ring.toArray()).toEqual(["dddd"]);
    expect(ring.bytes).toBe(4);
  });

  it("reports 0 bytes without a byte bound", () => {
    const ring = new RingBuffer<string>(3);
    ring.push("abc");
    expect(ring.bytes).toBe(0);
  });
});

describe("RingBuffer storage", () => {
  it("grows with the items held and wraps at its capacity, oldest first", () => {
    const ring = new RingBuffer<number>(40);
    for (let i = 0; i < 25; i++) ring.push(i);
    expect(ring.toArray()).toEqual(Array.from({ length: 25 }, (_, i) => i));
    for (let i = 25; i < 100; i++) ring.push(i);
    expect(ring.size).toBe(40);
    expect(ring.at(0)).toBe(60);
    expect(ring.at(39)).toBe(99);
    expect(ring.toArray()).toEqual(Array.from({ length: 40 }, (_, i) => 60 + i));
  });

  it("grows correctly after the oldest items were dropped (start moved before the storage filled)", () => {
    const ring = new RingBuffer<number>(1000);
    for (let i = 0; i < 10; i++) ring.push(i);
    ring.dropOldestWhile((n) => n < 7);
    expect(ring.toArray()).toEqual([7, 8, 9]);
    for (let i = 10; i < 50; i++) ring.push(i);
    expect(ring.toArray()).toEqual(Array.from({ length: 43 }, (_, i) => 7 + i));
  });

  it("drops stale items but always keeps the newest", () => {
    const ring = new RingBuffer<number>(5, { maxBytes: 100, sizeOf: () => 10 });
    for (const n of [1, 2, 3]) ring.push(n);
    ring.dropOldestWhile(() => true);
    expect(ring.toArray()).toEqual([3]);
    expect(ring.bytes).toBe(10);
  });

  it("takes a new byte bound on resize, dropping the oldest when it shrinks", () => {
    const ring = new RingBuffer<number>(10, { maxBytes: 100, sizeOf: () => 10 });
    for (let i = 0; i < 10; i++) ring.push(i);
    ring.resize(10, 30);
    expect(ring.toArray()).toEqual([7, 8, 9]);
    ring.resize(20, 200);
    for (let i = 10; i < 25; i++) ring.push(i);
    expect(ring.toArray()).toEqual(Array.from({ length: 18 }, (_, i) => 7 + i));
    expect(ring.bytes).toBe(180);
  });
});

describe("a log ring's byte bound", () => {
  it("is 4 MiB up to 16 384 lines and 256 bytes a line beyond", () => {
    expect(ringByteBound(10_000)).toBe(MAX_RING_BYTES);
    expect(ringByteBound(16_384)).toBe(MAX_RING_BYTES);
    expect(ringByteBound(60_000)).toBe(60_000 * 256);
  });
});
