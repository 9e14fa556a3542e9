import { describe, expect, it } from "vitest";
import { parseLogQuery } from "../../../src/http/log-params.js";
import { HttpError } from "../../../src/http/errors.js";
import type { LogLine } from "../../../src/streams/log-line.js";
import { compileGrep, GrepSyntaxError, queryRings } from "../../../src/streams/query.js";
import { RingBuffer } from "../../../src/streams/ring.js";
import { decodeToken, encodeToken, streamSubject } from "../../../src/streams/subject.js";

function line(sec: number, container: string, text: string, stream: LogLine["stream"] = "stdout"): LogLine {
  return { ts: `2026-01-01T00:00:${String(sec).padStart(2, "0")}.000000000Z`, stream, container, line: text };
}

describe("RingBuffer", () => {
  it("keeps the newest items and resizes keeping the newest", () => {
    const r = new RingBuffer<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect(r.toArray()).toEqual([3, 4, 5]);
    expect(r.at(0)).toBe(3);
    expect(r.at(3)).toBeUndefined();
    r.resize(2);
    expect(r.toArray()).toEqual([4, 5]);
    r.resize(4);
    r.push(6);
    expect(r.toArray()).toEqual([4, 5, 6]);
    expect(() => new RingBuffer(0)).toThrow(RangeError);
  });
});

describe("queryRings", () => {
  const api = new RingBuffer<LogLine>(10);
  const db = new RingBuffer<LogLine>(10);
  for (let s = 1; s <= 6; s++)
    (s % 2 ? api : db).push(line(s, s % 2 ? "api" : "db", `n=${s}`, s === 4 ? "stderr" : "stdout"));

  it("merges containers by time and applies tail, window, stream and grep", () => {
    expect(queryRings([api, db], {}).map((l) => l.line)).toEqual(["n=1", "n=2", "n=3", "n=4", "n=5", "n=6"]);
    expect(queryRings([api, db], { tail: 2 }).map((l) => l.line)).toEqual(["n=5", "n=6"]);
    const window = { since: line(2, "", "").ts, until: line(5, "", "").ts };
    expect(queryRings([api, db], window).map((l) => l.line)).toEqual(["n=2", "n=3", "n=4"]);
    expect(queryRings([api, db], { stream: "stderr" }).map((l) => l.line)).toEqual(["n=4"]);
    expect(queryRings([api, db], { grep: /n=[15]/, tail: 1 }).map((l) => l.line)).toEqual(["n=5"]);
    expect(queryRings([api], { tail: 0 })).toEqual([]);
  });
});

describe("compileGrep", () => {
  it.each([
    ["a)", 1, "unmatched ')'"],
    ["*a", 0, "nothing to repeat"],
    ["ab(c", 4, "unterminated group"],
    ["[x", 2, "unterminated character class"],
    ["ok|a{2,1}", 8, "numbers out of order in {} quantifier"],
  ])("locates the error in %s", (pattern, position, reason) => {
    try {
      compileGrep(pattern);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(GrepSyntaxError);
      expect((err as GrepSyntaxError).position).toBe(position);
      expect((err as GrepSyntaxError).reason).toBe(reason);
    }
  });

  it("compiles valid patterns", () => {
    expect(compileGrep("ERROR|WARN").test("a WARN b")).toBe(true);
  });
});

describe("parseLogQuery", () => {
  const now = Date.UTC(2026, 0, 1, 0, 10, 0);
  it("parses every parameter", () => {
    const q = parseLogQuery(
      new URLSearchParams("container=api&tail=5&since=5m&until=2026-01-01T00:09:00Z&stream=stderr&grep=x%2B"),
      now,
    );
    expect(q).toMatchObject({
      container: "api",
      tail: 5,
      since: "2026-01-01T00:05:00.000000000Z",
      until: "2026-01-01T00:09:00.000000000Z",
      stream: "stderr",
    });
    expect(q.grep?.source).toBe("x+");
  });

  it("answers 400 naming the parameter, and the regex position", () => {
    for (const qs of ["tail=-1", "since=yesterday", "stream=both", "grep=(a"]) {
      expect(() => parseLogQuery(new URLSearchParams(qs), now)).toThrow(HttpError);
    }
    expect(() => parseLogQuery(new URLSearchParams("grep=a)"), now)).toThrow(/position 1/);
  });
});

describe("subjects", () => {
  it("encodes tokens so dots and wildcards cannot change the subject", () => {
    expect(streamSubject("logs", "default/web", "api")).toBe("berth.logs.default.web.api");
    expect(streamSubject("events", "default/web")).toBe("berth.events.default.web");
    const odd = "a.b*c> d%é";
    const token = encodeToken(odd);
    expect(token).toMatch(/^[A-Za-z0-9_%-]+$/);
    expect(decodeToken(token)).toBe(odd);
    expect(streamSubject("metrics", "ns/my.proj", "c.1").split(".")).toHaveLength(5);
  });
});
