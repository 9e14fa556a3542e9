import { describe, expect, it } from "vitest";
import type { StreamKind } from "../../../src/streams/bus.js";
import { PublishQueue } from "../../../src/streams/publish-queue.js";

function queue(maxRecords = 100, maxBatchBytes = 1000) {
  const drops: Array<[StreamKind, number]> = [];
  const q = new PublishQueue({ maxRecords, maxBatchBytes, onDrop: (k, n) => drops.push([k, n]) });
  return { q, drops };
}

describe("PublishQueue", () => {
  it("batches consecutive records per subject as NDJSON, keeping order per subject", () => {
    const { q } = queue();
    q.push({ kind: "logs", subject: "a", json: '{"n":1}' });
    q.push({ kind: "logs", subject: "b", json: '{"n":2}' });
    q.push({ kind: "logs", subject: "a", json: '{"n":3}' });
    q.push({ kind: "events", subject: "e", json: '{"n":4}' });
    expect(q.size).toBe(4);
    const out = q.drain();
    expect(out.map((b) => [b.subject, b.payload, b.records])).toEqual([
      ["a", '{"n":1}\n{"n":3}\n', 2],
      ["b", '{"n":2}\n', 1],
      ["e", '{"n":4}\n', 1],
    ]);
    expect(q.size).toBe(0);
    expect(q.pendingBytes).toBe(0);
  });

  it("splits batches at the byte bound", () => {
    const { q } = queue(100, 20);
    for (let i = 0; i < 5; i++) q.push({ kind: "logs", subject: "a", json: `"${"x".repeat(6)}${i}"` });
    const out = q.drain();
    expect(out.map((b) => b.records)).toEqual([2, 2, 1]);
    expect(out.map((b) => b.payload).join("")).toBe(
      Array.from({ length: 5 }, (_, i) => `"xxxxxx${i}"\n`).join(""),
    );
  });

  it("drops the oldest records of a kind past the bound and counts them", () => {
    const { q, drops } = queue(3);
    for (let i = 1; i <= 5000; i++) q.push({ kind: "logs", subject: "a", json: String(i) });
    q.push({ kind: "metrics", subject: "m", json: "0" });
    expect(q.size).toBe(4);
    expect(drops.reduce((n, [k, c]) => n + (k === "logs" ? c : 0), 0)).toBe(4997);
    const out = q.drain();
    expect(out[0]?.payload).toBe("4998\n4999\n5000\n");
  });
});
