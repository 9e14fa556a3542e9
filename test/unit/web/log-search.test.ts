import { describe, expect, it } from "vitest";
import { compileSearch, highlight, LogWindow } from "../../../web/src/log-search.js";
import type { LogLine } from "../../../web/src/types.js";

const line = (n: number, stream: LogLine["stream"] = "stdout"): LogLine => ({
  ts: `2026-01-01T00:00:${String(n % 60).padStart(2, "0")}.000000000Z`,
  stream,
  container: "app",
  line: `line ${n}`,
});

describe("log search", () => {
  it("matches plain text ignoring case, with regex characters taken literally", () => {
    const { search, error } = compileSearch("GET /a.b(");
    expect(error).toBeUndefined();
    expect(search?.test("get /a.b( 200")).toBe(true);
    expect(search?.test("get /aXb( 200")).toBe(false);
  });

  it("takes /regex/flags and reports an invalid one", () => {
    const re = compileSearch("/id=\\d+$/");
    expect(re.search?.test("request id=42")).toBe(true);
    expect(re.search?.test("request id=x")).toBe(false);
    expect(compileSearch("/ERROR/").search?.test("error")).toBe(false); // flags given: case matters
    expect(compileSearch("/ERROR/i").search?.test("error")).toBe(true);
    expect(compileSearch("/a(/").error).toMatch(/unterminated|invalid/i);
    expect(compileSearch("")).toEqual({});
  });

  it("highlights every match and keeps the rest of the line", () => {
    const { search } = compileSearch("ab");
    expect(highlight("xabyAB", search)).toEqual([
      { text: "x", match: false },
      { text: "ab", match: true },
      { text: "y", match: false },
      { text: "AB", match: true },
    ]);
    expect(highlight("plain", undefined)).toEqual([{ text: "plain", match: false }]);
    expect(highlight("", compileSearch("x").search)).toEqual([{ text: "", match: false }]);
    // a pattern that can match empty text neither loops nor marks anything empty
    expect(highlight("aXa", compileSearch("/x*/i").search)).toEqual([
      { text: "a", match: false },
      { text: "X", match: true },
      { text: "a", match: false },
    ]);
  });
});

describe("log window", () => {
  it("keeps the newest lines up to its limit and says what to drop from the screen", () => {
    const w = new LogWindow(3);
    expect(w.push([line(1), line(2)])).toEqual({ added: [line(1), line(2)], dropped: 0 });
    expect(w.push([line(3), line(4)])).toEqual({ added: [line(3), line(4)], dropped: 1 });
    expect(w.shown.map((l) => l.line)).toEqual(["line 2", "line 3", "line 4"]);
    // a batch larger than the window only adds its newest lines
    expect(w.push([line(5), line(6), line(7), line(8)]).added.map((l) => l.line)).toEqual([
      "line 6",
      "line 7",
      "line 8",
    ]);
    expect(w.shown.map((l) => l.line)).toEqual(["line 6", "line 7", "line 8"]);
  });

  it("holds lines while paused and shows them on resume, dropping the oldest beyond the limit", () => {
    const w = new LogWindow(3);
    w.push([line(1)]);
    w.pause();
    expect(w.isPaused).toBe(true);
    expect(w.push([line(2), line(3), line(4), line(5)])).toEqual({ added: [], dropped: 0 });
    expect(w.shown.map((l) => l.line)).toEqual(["line 1"]);
    expect(w.pending).toEqual({ count: 3, dropped: 1 });
    const shown = w.resume();
    expect(shown.added.map((l) => l.line)).toEqual(["line 3", "line 4", "line 5"]);
    expect(shown.dropped).toBe(1);
    expect(w.pending).toEqual({ count: 0, dropped: 0 });
    expect(w.isPaused).toBe(false);
    w.clear();
    expect(w.shown).toEqual([]);
  });
});
