import { describe, expect, it } from "vitest";
import {
  afterCursor,
  decodeCursor,
  encodeCursor,
  MAX_LINE_CHARS,
  renderLine,
  renderLogPage,
} from "../../../src/mcp/log-page.js";
import type { LogLine } from "../../../src/streams/log-line.js";

const ts = (s: number) => `2026-01-01T00:00:${String(s).padStart(2, "0")}.000000000Z`;
const line = (s: number, text: string, stream: "stdout" | "stderr" = "stdout"): LogLine => ({
  ts: ts(s),
  stream,
  container: "api",
  line: text,
});

describe("log pages", () => {
  it("renders time, container, stream and cuts overlong lines", () => {
    expect(renderLine(line(1, "hi"))).toBe("2026-01-01T00:00:01.000Z api: hi");
    expect(renderLine(line(1, "bad", "stderr"))).toBe("2026-01-01T00:00:01.000Z api (stderr): bad");
    const long = renderLine(line(1, "x".repeat(MAX_LINE_CHARS + 5)));
    expect(long).toMatch(/\.\.\. \[5 more characters\]$/);
  });

  it("stops at the character cap and continues after the last line with the cursor", () => {
    const lines = Array.from({ length: 10 }, (_, i) => line(i, `line ${i}`));
    const width = renderLine(lines[0] as LogLine).length + 1;
    const page = renderLogPage(lines, width * 4, undefined);
    expect(page.lines.map((l) => l.line)).toEqual(["line 0", "line 1", "line 2", "line 3"]);
    expect(page.truncated).toBe(true);
    const cursor = decodeCursor(page.nextCursor ?? "");
    expect(cursor).toEqual({ ts: ts(3), skip: 1 });
    const rest = afterCursor(
      lines.filter((l) => l.ts >= cursor.ts),
      cursor,
    );
    expect(rest[0]?.line).toBe("line 4");
    const next = renderLogPage(rest, 10_000, cursor);
    expect(next.truncated).toBe(false);
    expect(next.lines).toHaveLength(6);
  });

  it("counts lines sharing a timestamp so none is repeated or lost", () => {
    const same = [line(5, "a"), line(5, "b"), line(5, "c"), line(6, "d")];
    const width = renderLine(same[0] as LogLine).length + 1;
    const first = renderLogPage(same, width * 2, undefined);
    const c1 = decodeCursor(first.nextCursor ?? "");
    expect(c1).toEqual({ ts: ts(5), skip: 2 });
    const second = renderLogPage(afterCursor(same, c1), width, c1);
    expect(second.lines.map((l) => l.line)).toEqual(["c"]);
    const c2 = decodeCursor(second.nextCursor ?? "");
    expect(c2).toEqual({ ts: ts(5), skip: 3 });
    expect(afterCursor(same, c2).map((l) => l.line)).toEqual(["d"]);
  });

  it("keeps the cursor when nothing new arrived, and refuses forged cursors", () => {
    const c = { ts: ts(1), skip: 1 };
    expect(renderLogPage([], 100, c).nextCursor).toBe(encodeCursor(c));
    expect(() => decodeCursor("not-a-cursor")).toThrow(/invalid cursor/);
    expect(() => decodeCursor(Buffer.from('["x", -1]').toString("base64url"))).toThrow(/invalid cursor/);
  });
});
