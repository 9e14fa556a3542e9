import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { FollowLogsOptions } from "../../../src/runtime/docker.js";
import { DockerUnavailableError, NotFoundError } from "../../../src/runtime/errors.js";
import type { RawLogLine } from "../../../src/streams/demux.js";
import { LogFollower } from "../../../src/streams/follower.js";
import { nopLogger } from "../../../src/util/logger.js";

function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = 1;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

const ts = (s: number) => `2026-01-01T00:00:0${s}.000000000Z`;

describe("LogFollower", () => {
  it("resumes by timestamp after a broken stream and a restart: nothing lost or doubled", async () => {
    const calls: FollowLogsOptions[] = [];
    // Docker's answers: the log so far from `since` (inclusive), as Docker would send it.
    const log = [1, 2, 2, 3, 4, 5].map((s, i) => `${ts(s)} line${i}\n`);
    const plan: Array<number | Error> = [
      3,
      new DockerUnavailableError("ECONNRESET", { op: "logs", endpoint: "x" }),
      5,
      6,
    ];
    let running = true;
    const docker = {
      async followLogs(_id: string, opts: FollowLogsOptions = {}) {
        calls.push(opts);
        const step = plan.shift();
        if (step === undefined) throw new NotFoundError("container", "c", { op: "logs", endpoint: "x" });
        if (step instanceof Error) throw step;
        const since = opts.since;
        const from = since === undefined ? 0 : log.findIndex((l) => l.slice(0, 30) >= toTs(since));
        return Readable.from(log.slice(from, step).map(frame));
      },
    };
    const got: RawLogLine[] = [];
    const ac = new AbortController();
    const f = new LogFollower({
      docker,
      containerId: "c",
      initialTail: 100,
      isRunning: () => running,
      deliver: (lines) => got.push(...lines),
      logger: nopLogger,
      minBackoffMs: 1,
      maxBackoffMs: 2,
    });
    f.start(ac.signal);
    await new Promise((r) => setTimeout(r, 50));
    running = false;
    f.wake();
    await f.done();
    expect(got.map((l) => l.line)).toEqual(["line0", "line1", "line2", "line3", "line4", "line5"]);
    expect(calls[0]).toMatchObject({ tail: 100 });
    expect(calls[1]?.since).toBeDefined();
  });
  it("opens no stream for a wake after the container stopped, and one when it runs again", async () => {
    let opens = 0;
    let running = true;
    const docker = {
      async followLogs() {
        opens++;
        return Readable.from([frame(`${ts(opens)} run${opens}\n`)]);
      },
    };
    const got: string[] = [];
    const ac = new AbortController();
    const f = new LogFollower({
      docker,
      containerId: "c",
      initialTail: 10,
      isRunning: () => running,
      deliver: (lines) => got.push(...lines.map((l) => l.line)),
      logger: nopLogger,
      minBackoffMs: 1,
      maxBackoffMs: 2,
    });
    running = false; // the stream's end was the container's exit
    f.start(ac.signal);
    await new Promise((r) => setTimeout(r, 20));
    f.wake(); // e.g. the die and destroy events of a container being removed
    f.wake();
    await new Promise((r) => setTimeout(r, 20));
    expect(opens).toBe(1);
    running = true;
    f.wake(); // started again
    await new Promise((r) => setTimeout(r, 20));
    expect(opens).toBeGreaterThanOrEqual(2);
    expect(got.slice(0, 2)).toEqual(["run1", "run2"]);
    f.finish();
    ac.abort();
    await f.done();
  });
});

/** Docker `since` (`sec.nanos`) back to a normalised timestamp. */
function toTs(since: string): string {
  const [sec = "0", nanos = "0"] = since.split(".");
  return `${new Date(Number(sec) * 1000).toISOString().slice(0, 19)}.${nanos.padEnd(9, "0")}Z`;
}
