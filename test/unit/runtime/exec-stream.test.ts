import { describe, expect, it } from "vitest";
import { ExecDemuxer } from "../../../src/runtime/exec-stream.js";

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe("ExecDemuxer", () => {
  it("splits framed output into stdout and stderr, whatever the chunk boundaries", () => {
    const all = Buffer.concat([frame(1, "hello "), frame(2, "err"), frame(1, "world")]);
    for (let size = 1; size <= all.length; size++) {
      const d = new ExecDemuxer(false);
      const got: Record<string, string> = { stdout: "", stderr: "" };
      for (let i = 0; i < all.length; i += size) {
        for (const c of d.push(all.subarray(i, i + size))) got[c.stream] += c.data.toString();
      }
      expect(got).toEqual({ stdout: "hello world", stderr: "err" });
    }
  });

  it("passes TTY output through as stdout", () => {
    const d = new ExecDemuxer(true);
    expect(d.push(Buffer.from("\x01raw"))).toEqual([{ stream: "stdout", data: Buffer.from("\x01raw") }]);
  });
});
