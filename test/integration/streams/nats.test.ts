import { connect, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readTestEnv } from "../../helpers/env.js";
import {
  api,
  cleanupDirs,
  eventually,
  removeProjects,
  startDaemon,
  type Daemon,
} from "../operator/daemon.js";
import { NS, numberedLines, queryLogs, sequenceProblems, waitRunning, writeProject } from "./helpers.js";
import { NatsServerProcess } from "./nats-server.js";

const suffix = Math.random().toString(36).slice(2, 7);
const fast = `nfast-${suffix}`;
const outage = `nout-${suffix}`;

/** Collects the `line` of every NDJSON record received on `subject`. */
function collect(sub: Subscription): string[] {
  const lines: string[] = [];
  void (async () => {
    for await (const m of sub) {
      for (const text of m.string().split("\n"))
        if (text) lines.push((JSON.parse(text) as { line: string }).line);
    }
  })();
  return lines;
}

async function metric(d: Daemon, name: string): Promise<number> {
  const text = await (await api(d, `/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(name));
  return Number(line?.split(" ").at(-1) ?? NaN);
}

describe("NATS publishing", () => {
  const env = readTestEnv();
  const daemons: Daemon[] = [];
  const conns: NatsConnection[] = [];
  const own = new NatsServerProcess(4298);
  beforeAll(async () => {
    await own.start();
  });
  afterAll(async () => {
    for (const nc of conns) await nc.close().catch(() => {});
    for (const d of daemons) await d.stop();
    await own.dispose();
    await removeProjects([fast, outage].map((n) => `${NS}.${n}`));
    cleanupDirs(...daemons.flatMap((d) => [d.dir, d.stateDir]));
  });

  it("delivers every line of 5000 lines/s for 10 s in order, while the ring answers tail queries", async () => {
    const d = await startDaemon({ portRange: "28200-28399", extraArgs: ["--nats", env.natsUrl] });
    daemons.push(d);
    const nc = await connect({ servers: env.natsUrl });
    conns.push(nc);
    const received = collect(nc.subscribe(`berth.logs.${NS}.${fast}.app`));
    await nc.flush();
    writeProject(d, fast, numberedLines(500, 100), { retainLines: 10_000 });
    await waitRunning(d, fast);
    let tails = 0;
    await eventually(
      async () => {
        const tail = await queryLogs(d, fast, "tail=100");
        expect(tail.length).toBeLessThanOrEqual(100);
        tails++;
        return received.length >= 50_000;
      },
      40_000,
      "50000 lines on NATS",
    );
    expect(tails).toBeGreaterThan(5);
    const { runs, problems } = sequenceProblems(received);
    expect(problems).toEqual([]);
    expect([...runs.values()]).toEqual([50_000]);
    expect(await queryLogs(d, fast)).toHaveLength(10_000);
    // Two daemons on one Docker engine would remove each other's containers as orphans.
    await d.stop();
    await removeProjects([`${NS}.${fast}`]);
  }, 90_000);

  it("survives nats-server stopped for 5 s: queries answered, publishing resumes, drops counted", async () => {
    const d = await startDaemon({
      portRange: "28400-28599",
      extraArgs: ["--nats", own.url, "--nats-max-pending", "1000"],
    });
    daemons.push(d);
    const nc = await connect({ servers: own.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    conns.push(nc);
    const received = collect(nc.subscribe(`berth.logs.${NS}.${outage}.app`));
    await nc.flush();
    writeProject(d, outage, numberedLines(100, 1_000_000), { retainLines: 100_000 });
    await waitRunning(d, outage);
    await eventually(() => received.length > 500, 20_000, "lines before the outage");

    await own.stop();
    const stoppedAt = Date.now();
    let answered = 0;
    while (Date.now() - stoppedAt < 5000) {
      const started = performance.now();
      expect((await queryLogs(d, outage, "tail=10")).length).toBe(10);
      expect(performance.now() - started).toBeLessThan(1000);
      answered++;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(answered).toBeGreaterThan(10);
    await own.start();
    const afterRestart = received.length;
    await eventually(() => received.length > afterRestart + 2000, 20_000, "lines after the outage").catch(
      (err: unknown) => {
        throw new Error(`${String(err)}; received ${received.length}; daemon log:\n${d.logs().slice(-3000)}`);
      },
    );

    const dropped = await metric(d, 'berth_stream_dropped_total{stream="logs"}');
    expect(dropped).toBeGreaterThan(0);
    // Every gap the subscriber saw is covered by what Berth says it dropped (plus what the
    // subscriber itself missed while it was reconnecting, which NATS core does not replay).
    const { problems } = sequenceProblems(received);
    const ring = (await queryLogs(d, outage)).map((l) => l.line);
    expect(sequenceProblems(ring).problems).toEqual([]);
    expect(problems.length).toBeGreaterThan(0);
    const last = Number(received.at(-1)?.split(" ")[2]);
    const missing = last - new Set(received).size;
    expect(missing, `gaps ${problems.join("; ")}; dropped ${dropped}`).toBeGreaterThanOrEqual(dropped);
    expect(new Set(received).size).toBe(received.length);
  }, 120_000);
});
