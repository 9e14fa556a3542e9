import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  NdjsonLineTooLongError,
  NdjsonParseError,
  NdjsonSplitter,
  parseNdjson,
  splitLines,
} from "../../../src/runtime/ndjson.js";

/** Cuts `bytes` at the given offsets (sorted, deduplicated, clamped). */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.min(Math.max(c, 0), bytes.length)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(start, p));
    start = p;
  }
  return out;
}

function splitAll(chunks: Uint8Array[], maxLineBytes?: number): string[] {
  const s = new NdjsonSplitter(maxLineBytes === undefined ? {} : { maxLineBytes });
  return [...chunks.flatMap((c) => s.push(c)), ...s.end()];
}

async function* fromChunks(chunks: (Uint8Array | string)[]): AsyncGenerator<Uint8Array | string> {
  for (const c of chunks) yield c;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

// Lines with no newline, and with multi-byte characters (2, 3 and 4 bytes in UTF-8).
const lineArb = fc
  .array(fc.constantFrom("a", "z", " ", "{", '"', "é", "€", "漢", "😀", "\r"), {
    minLength: 0,
    maxLength: 30,
  })
  .map((cs) => cs.join(""));

describe("NdjsonSplitter", () => {
  it("yields the same lines for every chunking, multi-byte characters included", () => {
    fc.assert(
      fc.property(
        fc.array(lineArb, { maxLength: 20 }),
        fc.boolean(),
        fc.array(fc.nat({ max: 2000 }), { maxLength: 40 }),
        (lines, trailingNewline, cuts) => {
          const text = lines.join("\n") + (trailingNewline ? "\n" : "");
          const bytes = Buffer.from(text, "utf8");
          const expected = text
            .split("\n")
            .map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l))
            .filter((l) => l.trim().length > 0);
          expect(splitAll(chunk(bytes, cuts))).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("reassembles a 4-byte character split across every possible boundary", () => {
    const bytes = Buffer.from('{"s":"😀"}\n', "utf8");
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        expect(splitAll(chunk(bytes, [i, j]))).toEqual(['{"s":"😀"}']);
      }
    }
  });

  it("strips CRLF endings and skips blank lines", () => {
    expect(splitAll([Buffer.from("a\r\n\r\n\n  \nb\r")])).toEqual(["a", "b"]);
  });

  it("accepts string chunks", () => {
    const s = new NdjsonSplitter();
    expect([...s.push("ab"), ...s.push("c\nd"), ...s.end()]).toEqual(["abc", "d"]);
  });

  it("accepts a line of exactly maxLineBytes and rejects one byte more, even in small chunks", () => {
    const ok = Buffer.from("x".repeat(16) + "\r\n");
    expect(splitAll(chunk(ok, [3, 9, 17]), 16)).toEqual(["x".repeat(16)]);
    const tooLong = Buffer.from("x".repeat(17) + "\n");
    expect(() => splitAll(chunk(tooLong, [1, 2, 3, 4, 5]), 16)).toThrow(NdjsonLineTooLongError);
    expect(() => splitAll([tooLong], 16)).toThrow(NdjsonLineTooLongError);
  });

  it("fails fast on an endless line instead of buffering it", () => {
    const s = new NdjsonSplitter({ maxLineBytes: 1024 });
    expect(() => {
      for (let i = 0; i < 100; i++) s.push(Buffer.alloc(100, 0x61));
    }).toThrow(/longer than 1024 bytes/);
  });
});

describe("splitLines / parseNdjson", () => {
  it("streams lines from an async source", async () => {
    const lines = await collect(splitLines(fromChunks(['{"a":', "1}\n{", '"b":2}'])));
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
  });

  it("parses each line as JSON for random chunkings", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean())), {
          maxLength: 10,
        }),
        fc.array(fc.nat({ max: 1000 }), { maxLength: 20 }),
        async (objects, cuts) => {
          const bytes = Buffer.from(objects.map((o) => JSON.stringify(o) + "\n").join(""), "utf8");
          expect(await collect(parseNdjson(fromChunks(chunk(bytes, cuts))))).toEqual(objects);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("reports a malformed line with its text", async () => {
    const err = await collect(parseNdjson(fromChunks(['{"ok":1}\n', "not json\n"]))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NdjsonParseError);
    expect((err as NdjsonParseError).line).toBe("not json");
  });
});
