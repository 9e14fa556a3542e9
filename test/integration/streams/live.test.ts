import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  api,
  authHeaders,
  cleanupDirs,
  eventually,
  removeProjects,
  startDaemon,
  type Daemon,
} from "../operator/daemon.js";
import { NS, waitRunning, writeProject } from "./helpers.js";

const suffix = Math.random().toString(36).slice(2, 7);
const flood = `flood-${suffix}`;
const sse = `sse-${suffix}`;

async function rss(d: Daemon): Promise<number> {
  const text = await (await api(d, `/metrics`)).text();
  return Number(
    text
      .split("\n")
      .find((l) => l.startsWith("process_resident_memory_bytes "))
      ?.split(" ")[1],
  );
}

/** Reads SSE events from a stream until `enough` says so or the time is up. */
async function readSse(
  d: Daemon,
  url: string,
  enough: (events: Array<[string, unknown]>) => boolean,
): Promise<Array<[string, unknown]>> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 20_000);
  const events: Array<[string, unknown]> = [];
  try {
    const res = await fetch(url, { signal: ac.signal, headers: authHeaders(d) });
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    let buffer = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += Buffer.from(chunk).toString();
      let i;
      while ((i = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push([event, JSON.parse(data)]);
      }
      if (enough(events)) break;
    }
  } catch (err) {
    if (!ac.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return events;
}

describe("live streams", () => {
  let d: Daemon;
  beforeAll(async () => {
    d = await startDaemon({ portRange: "28800-28899" });
  });
  afterAll(async () => {
    await d?.stop();
    await removeProjects([flood, sse].map((n) => `${NS}.${n}`));
    if (d) cleanupDirs(d.dir, d.stateDir);
  });

  it("drops a slow WebSocket client to a notice while others keep receiving, memory bounded", async () => {
    const line = "x".repeat(400);
    writeProject(d, flood, `while true; do yes ${line} | head -n 1000; usleep 100000; done`, {
      retainLines: 1000,
    });
    await waitRunning(d, flood);
    const url = `${d.url.replace("http", "ws")}/api/v1/projects/${NS}/${flood}/logs/stream?tail=10`;
    const open = (ws: WebSocket) =>
      new Promise<void>((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const fast = new WebSocket(url, { headers: authHeaders(d) });
    const slow = new WebSocket(url, { headers: authHeaders(d) });
    await Promise.all([open(fast), open(slow)]);
    let fastLines = 0;
    let fastClosed: number | undefined;
    fast.once("close", (code) => (fastClosed = code));
    fast.on("message", (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { lines?: unknown[] };
      fastLines += m.lines?.length ?? 0;
    });
    const slowSocket = (slow as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    slowSocket.pause();
    const before = await rss(d);
    const counts: number[] = [];
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      counts.push(fastLines);
    }
    if (counts.some((c, i) => i > 0 && c <= (counts[i - 1] ?? 0))) {
      throw new Error(`fast client stalled: ${counts.join(",")}; ${fastClosed}\n${d.logs().slice(-2000)}`);
    }
    expect(fastClosed).toBeUndefined();
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThan(counts[i - 1] ?? 0);
    expect(fastLines).toBeGreaterThan(30_000);
    const after = await rss(d);
    expect(after - before).toBeLessThan(150 * 1024 * 1024);

    const closed = new Promise<number>((resolve) => slow.once("close", (code) => resolve(code)));
    let notice = false;
    slow.on("message", (data: Buffer) => {
      if (data.toString().includes('"notice"')) notice = true;
    });
    slowSocket.resume();
    expect(await closed).toBe(4008);
    expect(notice).toBe(true);
    fast.close();
  }, 90_000);

  it("streams metrics samples and phase events over SSE", async () => {
    const events = readSse(d, `${d.url}/api/v1/events?namespace=${NS}`, (es) =>
      es.some(
        ([, e]) =>
          (e as { project: string; phase: string }).project === `${NS}/${sse}` &&
          (e as { phase: string }).phase === "Running",
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    writeProject(d, sse, "while true; do :; done", { metrics: true });
    const phases = (await events)
      .filter(([name]) => name === "phase")
      .map(([, e]) => (e as { phase: string }).phase);
    expect(phases).toContain("Running");
    await waitRunning(d, sse);
    const samples = await readSse(
      d,
      `${d.url}/api/v1/projects/${NS}/${sse}/metrics/stream`,
      (es) => es.length >= 3,
    );
    expect(samples.length).toBeGreaterThanOrEqual(3);
    const last = samples.at(-1);
    expect(last?.[0]).toBe("sample");
    expect((last?.[1] as { container: string; cpuCores: number }).container).toBe("app");
    // A busy loop: well above an idle container (about 0) even on a loaded machine.
    expect((last?.[1] as { cpuCores: number }).cpuCores).toBeGreaterThan(0.1);
    const missing = await api(d, `/api/v1/projects/${NS}/nope/metrics/stream`);
    expect(missing.status).toBe(404);
    await eventually(async () => true);
  }, 60_000);
});
