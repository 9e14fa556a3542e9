import { describe, expect, it } from "vitest";
import type { SyncRecord } from "../../../src/api/index.js";
import { describeWatch, devFormatter } from "../../../src/cli/dev-format.js";
import { readLines, sseParser, type SseEvent } from "../../../src/cli/line-stream.js";

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const p of parts) {
    await Promise.resolve();
    yield new TextEncoder().encode(p);
  }
}

const record = (over: Partial<SyncRecord> = {}): SyncRecord => ({
  container: "api",
  path: "./src",
  action: "sync",
  time: "2026-01-01T00:00:01Z",
  files: 3,
  bytes: 1536,
  durationMs: 14.4,
  ...over,
});

describe("berth dev's stream readers", () => {
  it("reads lines however the bytes are chunked, multi-byte characters and a last unterminated line included", async () => {
    const text = "a\r\nbé\n\nlast";
    const bytes = new TextEncoder().encode(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const got: string[] = [];
      async function* split(): AsyncIterable<Uint8Array> {
        await Promise.resolve();
        yield bytes.slice(0, cut);
        yield bytes.slice(cut);
      }
      await readLines(split(), (l) => got.push(l));
      expect(got, `cut at ${cut}`).toEqual(["a", "bé", "", "last"]);
    }
  });

  it("parses server-sent events: names, joined data lines, comments, and only complete events", async () => {
    const events: SseEvent[] = [];
    const feed = sseParser((e) => events.push(e));
    await readLines(
      chunks(
        ": berth\n\n",
        'event: sync\ndata: {"a"',
        ":1}\n\n",
        "data: x\ndata:y\n\n",
        ": keepalive\n\nevent: phase\ndata: {}",
      ),
      feed,
    );
    expect(events).toEqual([
      { event: "sync", data: '{"a":1}' },
      { event: "message", data: "x\ny" },
    ]);
  });
});

describe("berth dev's output", () => {
  it("prefixes container lines, sends stderr lines and failed syncs to stderr, and writes JSON lines with -o json", () => {
    const text = devFormatter({ json: false, timestamps: false, prefix: true });
    expect(text({ type: "log", line: { ts: "t", stream: "stderr", container: "db", line: "WARN" } })).toEqual(
      {
        stream: "err",
        text: "db | WARN\n",
      },
    );
    expect(
      text({ type: "sync", sync: { ...record({ error: "boom" }), namespace: "default", name: "web" } })
        .stream,
    ).toBe("err");
    expect(
      text({
        type: "phase",
        phase: { project: "default/web", phase: "Progressing", previous: "Running", time: "t" },
      }),
    ).toEqual({
      stream: "err",
      text: "berth: default/web is Progressing (was Running)\n",
    });
    const json = devFormatter({ json: true, timestamps: false, prefix: true });
    const out = json({ type: "sync", sync: { ...record(), namespace: "default", name: "web" } });
    expect(out.stream).toBe("out");
    expect(JSON.parse(out.text)).toEqual({ type: "sync", ...record(), namespace: "default", name: "web" });
  });

  it("lists the watch rules it follows, or says there are none and how to add one", () => {
    const containers = [
      {
        name: "api",
        develop: {
          watch: [
            { path: "./src", action: "sync", target: "/app" },
            { path: "./Dockerfile", action: "rebuild" },
          ],
        },
      },
      { name: "db" },
    ] as never;
    expect(describeWatch("default/web", containers)).toBe(
      "berth: watching default/web (the daemon syncs; Ctrl-C stops following):\n" +
        "  api: ./src -> /app (sync)\n  api: ./Dockerfile (rebuild)\n",
    );
    expect(describeWatch("default/web", [{ name: "db" }] as never)).toMatch(
      /has no develop\.watch rules.*\nhint: add develop:/,
    );
  });
});
