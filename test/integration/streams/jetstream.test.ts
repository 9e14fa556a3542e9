import { jetstream } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupDirs, eventually, removeProjects, startDaemon, type Daemon } from "../operator/daemon.js";
import { NS, numberedLines, queryLogs, sequenceProblems, waitRunning, writeProject } from "./helpers.js";
import { NatsServerProcess } from "./nats-server.js";

const suffix = Math.random().toString(36).slice(2, 7);
const late = `late-${suffix}`;

describe("JetStream replay (nats-server 2.9)", () => {
  const server = new NatsServerProcess(4296, true);
  let d: Daemon | undefined;
  let nc: NatsConnection | undefined;
  beforeAll(async () => {
    await server.start();
  });
  afterAll(async () => {
    await nc?.close();
    await d?.stop();
    await server.dispose();
    await removeProjects([`${NS}.${late}`]);
    if (d) cleanupDirs(d.dir, d.stateDir);
  });

  it("gives a late subscriber the last N lines, then the live ones", async () => {
    d = await startDaemon({
      portRange: "28900-28999",
      extraArgs: ["--nats", server.url, "--nats-jetstream", "--nats-jetstream-lines", "500"],
    });
    writeProject(d, late, numberedLines(100, 1_000_000));
    await waitRunning(d, late);
    await eventually(async () => (await queryLogs(d!, late)).length >= 2000, 30_000, "2000 lines written");

    nc = await connect({ servers: server.url });
    const js = jetstream(nc);
    const consumer = await js.consumers.get("BERTH_LOGS", {
      filter_subjects: `berth.logs.${NS}.${late}.app`,
    });
    const newest = async () => Number((await queryLogs(d!, late, "tail=1"))[0]?.line.split(" ")[2]);
    const newestAtSubscribe = await newest();
    const received: string[] = [];
    const messages = await consumer.consume();
    let newestAtFirst: number | undefined;
    for await (const m of messages) {
      newestAtFirst ??= await newest(); // the container keeps writing while the consumer starts
      for (const text of m.string().split("\n"))
        if (text) received.push((JSON.parse(text) as { line: string }).line);
      if (received.length >= 1500) break;
    }
    await messages.close();
    const first = Number(received[0]?.split(" ")[2]);
    // The replayed part is the newest 500 lines kept when the consumer started reading, which is
    // between subscribing and the first message (a few more may be in flight either side).
    expect(first).toBeGreaterThan(newestAtSubscribe - 500 - 50);
    expect(first).toBeLessThanOrEqual((newestAtFirst ?? newestAtSubscribe) - 500 + 50);
    expect(first).toBeGreaterThan(1);
    const { problems } = sequenceProblems(
      received.map((l) => l.replace(/ \d+$/, (n) => ` ${Number(n) - first + 1}`)),
    );
    expect(problems).toEqual([]);
    expect(Number(received.at(-1)?.split(" ")[2])).toBeGreaterThan(newestAtSubscribe + 500);
  }, 90_000);
});
