import { describe, expect, it } from "vitest";
import { SseParser } from "../../../web/src/sse-parser.js";

describe("SSE parser", () => {
  it("parses events split across arbitrary chunks", () => {
    const text = ': berth\n\nevent: phase\ndata: {"a":1}\n\nevent: status\ndata: {"b":2}\n\n';
    for (let size = 1; size <= text.length; size++) {
      const p = new SseParser();
      const events = [];
      for (let i = 0; i < text.length; i += size) events.push(...p.feed(text.slice(i, i + size)));
      expect(events).toEqual([
        { event: "phase", data: '{"a":1}' },
        { event: "status", data: '{"b":2}' },
      ]);
    }
  });

  it("joins data lines, accepts CRLF and CR, defaults the event name, skips comments", () => {
    const p = new SseParser();
    expect(p.feed("data: one\r\ndata:two\r\n\r\n: keepalive\r\n\r\nevent: x\rdata: y\r")).toEqual([
      { event: "message", data: "one\ntwo" },
    ]);
    // the last \r might have been half of \r\n: the event completes with the next line end
    expect(p.feed("\n\n")).toEqual([{ event: "x", data: "y" }]);
  });

  it("emits nothing for an event without data", () => {
    expect(new SseParser().feed("event: phase\n\n")).toEqual([]);
  });
});
