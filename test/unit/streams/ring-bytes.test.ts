import { describe, expect, it } from "vitest";
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
