import { describe, expect, it } from "vitest";
import { LogDemuxer, ResumeCursor } from "../../../src/streams/demux.js";
import { dockerSince, normalizeTimestamp, timestampOfMs } from "../../../src/streams/log-line.js";

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

const T1 = "2026-01-02T03:04:05.1Z";
const T2 = "2026-01-02T03:04:05.123456789Z";

describe("LogDemuxer", () => {
  it("splits frames and lines per stream with normalised timestamps", () => {
    const d = new LogDemuxer();
    const lines = d.push(Buffer.concat([frame(1, `${T1} hello\n`), frame(2, `${T2} oops\r\n`)]));
    expect(lines).toEqual([
      { ts: "2026-01-02T03:04:05.100000000Z", stream: "stdout", line: "hello" },
      { ts: T2, stream: "stderr", line: "oops" },
    ]);
  });

  it("gives the same lines whatever the chunking (down to one byte)", () => {
    const input = Buffer.concat([
      frame(1, `${T1} a\n${T1} b\n`),
      frame(2, `${T2} é-unicode`),
      frame(2, ` tail\n`),
      frame(1, `${T2} c\n`),
    ]);
    const whole = new LogDemuxer().push(input);
    for (const size of [1, 2, 3, 7, 9, 64]) {
      const d = new LogDemuxer();
      const got = [];
      for (let i = 0; i < input.length; i += size) got.push(...d.push(input.subarray(i, i + size)));
      got.push(...d.end());
      expect(got).toEqual(whole);
    }
    expect(whole.map((l) => l.line)).toEqual(["a", "b", "é-unicode tail", "c"]);
  });

  it("returns an unterminated last line at the end", () => {
    const d = new LogDemuxer();
    expect(d.push(frame(1, `${T1} partial`))).toEqual([]);
    expect(d.end()).toEqual([{ ts: "2026-01-02T03:04:05.100000000Z", stream: "stdout", line: "partial" }]);
  });

  it("is linear: a 4 MB line in 1-byte-per-frame chunks takes well under a second", () => {
    const d = new LogDemuxer();
    const text = `${T1} ${"x".repeat(4_000_000)}\n`;
    const started = performance.now();
    const chunk = 65_536;
    let out = 0;
    for (let i = 0; i < text.length; i += chunk) out += d.push(frame(1, text.slice(i, i + chunk))).length;
    expect(out).toBe(1);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("treats raw (TTY) bodies as stdout", () => {
    expect(new LogDemuxer(true).push(Buffer.from(`${T1} tty\n`))).toEqual([
      { ts: "2026-01-02T03:04:05.100000000Z", stream: "stdout", line: "tty" },
    ]);
  });
});

describe("ResumeCursor", () => {
  it("skips exactly the lines already delivered at the resume timestamp", () => {
    const c = new ResumeCursor();
    const a = "2026-01-01T00:00:01.000000000Z";
    const b = "2026-01-01T00:00:02.000000000Z";
    expect([a, b, b].map((t) => c.accept(t))).toEqual([true, true, true]);
    c.reopen();
    // Docker resends from `since=b` inclusive: two known b lines, then a third b, then newer.
    const c2 = "2026-01-01T00:00:03.000000000Z";
    expect([b, b, b, c2].map((t) => c.accept(t))).toEqual([false, false, true, true]);
    c.reopen();
    expect([a, c2, c2].map((t) => c.accept(t))).toEqual([false, false, true]);
    expect(c.ts).toBe(c2);
  });
});

describe("timestamps", () => {
  it("normalises, converts and rejects", () => {
    expect(normalizeTimestamp("2026-01-02T03:04:05Z")).toBe("2026-01-02T03:04:05.000000000Z");
    expect(normalizeTimestamp("2026-01-02T03:04:05+01:00")).toBeUndefined();
    expect(timestampOfMs(Date.UTC(2026, 0, 2, 3, 4, 5, 6))).toBe("2026-01-02T03:04:05.006000000Z");
    expect(dockerSince("2026-01-02T03:04:05.006000000Z")).toBe(
      `${Date.UTC(2026, 0, 2, 3, 4, 5) / 1000}.006000000`,
    );
  });
});
