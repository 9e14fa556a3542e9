/**
 * The HTTP poller of bench/compose, run in a child process of its own (bench/compose.ts forks it)
 * so that polling 100 ports does not share an event loop with the in-process operator it measures,
 * and costs the compose side and the Berth side the same.
 *
 * It takes one {@link PollRequest} at a time over the IPC channel, answers `polling` once it is
 * ready (its Docker event stream connected, or every port's first attempt under way), then `done`
 * with the time each port first answered 200. Each attempt is a fresh connection with a short
 * timeout.
 *
 * Where polling starts matters on this engine: once a connection reached a published port while
 * its container was starting, the next connections to it hang in docker-proxy too, for most of a
 * second after the start (measured: attempts from before the start first answer about 0.7 s after
 * it, a first attempt after the start answers at once). So by default each port is polled from
 * dockerd's `start` event of its container; `after` omitted polls from the request on.
 */
import { get } from "node:http";
import Docker from "dockerode";
import { epochMs } from "./stats.js";

/** Poll `ports` on 127.0.0.1 until each answers 200, `gapMs` between attempts per port. */
export interface PollRequest {
  ports: number[];
  /** Per port, the container whose `start` event begins its polling; omitted: poll at once. */
  after?: string[];
  gapMs: number;
  attemptTimeoutMs: number;
  deadlineMs: number;
}

/** Answers to one request: `polling` first, then `done` (epoch ms per port, in request order). */
export type PollReply =
  | { type: "polling" }
  | { type: "done"; ok: true; answeredAt: number[] }
  | { type: "done"; ok: false; error: string };

const docker = new Docker({ socketPath: "/var/run/docker.sock" });

function attempt(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: "127.0.0.1", port, path: "/", agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode === 200));
      res.on("error", () => resolve(false));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
}

async function pollPort(port: number, req: PollRequest, end: number): Promise<number> {
  for (;;) {
    if (await attempt(port, req.attemptTimeoutMs)) return epochMs();
    if (epochMs() > end) throw new Error(`port ${port} did not answer within ${req.deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, req.gapMs));
  }
}

/** Resolves, per container name, at its next `start` event; `close` ends the stream. */
async function startEvents(
  names: readonly string[],
): Promise<{ started: Map<string, Promise<void>>; close(): void }> {
  const resolvers = new Map<string, () => void>();
  const started = new Map(names.map((n) => [n, new Promise<void>((r) => resolvers.set(n, r))]));
  const stream = (await docker.getEvents({
    filters: { type: ["container"], event: ["start"] },
  })) as NodeJS.ReadableStream & { destroy(): void };
  let buf = "";
  stream.on("data", (chunk: Buffer) => {
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      const e = JSON.parse(line) as { Actor?: { Attributes?: { name?: string } } };
      resolvers.get(e.Actor?.Attributes?.name ?? "")?.();
    }
  });
  stream.on("error", () => {});
  return { started, close: () => stream.destroy() };
}

async function poll(req: PollRequest): Promise<PollReply> {
  const end = epochMs() + req.deadlineMs;
  const events = req.after ? await startEvents(req.after) : undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`not every container started within ${req.deadlineMs} ms`)),
      req.deadlineMs,
    );
  });
  late.catch(() => {}); // raced below
  const all = Promise.all(
    req.ports.map(async (p, i) => {
      const started = events?.started.get(req.after?.[i] ?? "");
      if (started) await Promise.race([started, late]);
      return pollPort(p, req, end);
    }),
  );
  all.catch(() => {}); // awaited below
  process.send?.({ type: "polling" } satisfies PollReply);
  try {
    return { type: "done", ok: true, answeredAt: await all };
  } catch (err) {
    return { type: "done", ok: false, error: (err as Error).message };
  } finally {
    clearTimeout(timer);
    events?.close();
  }
}

process.on("message", (req: PollRequest) => {
  void poll(req).then((reply) => process.send?.(reply));
});
// the parent closed the channel (done, or failed mid-poll): nothing is waiting for an answer
process.on("disconnect", () => process.exit(0));
