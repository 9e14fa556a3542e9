import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import type { DesiredProject } from "../../../src/api/desired.js";
import { createDockerClient } from "../../../src/runtime/docker.js";
import { NotFoundError } from "../../../src/runtime/errors.js";
import { DockerObserver } from "../../../src/runtime/observer.js";
import { InProcessBus, type StreamMessage } from "../../../src/streams/bus.js";
import { LogDemuxer } from "../../../src/streams/demux.js";
import { dockerSince } from "../../../src/streams/log-line.js";
import { MetricsSampler } from "../../../src/streams/metrics-sampler.js";
import { readTestEnv } from "../../helpers/env.js";
import { nopLogger } from "../../../src/util/logger.js";
import { docker, eventually } from "../operator/daemon.js";

const suffix = Math.random().toString(36).slice(2, 7);
const PROJECT = `streams.ops-${suffix}`;

describe("Docker log and stats operations", () => {
  const client = createDockerClient({ host: readTestEnv().dockerHost });
  const ids: string[] = [];
  afterAll(async () => {
    for (const id of ids)
      await docker()
        .getContainer(id)
        .remove({ force: true })
        .catch(() => {});
    client.close();
  });

  async function run(cmd: string, labels: Record<string, string> = {}): Promise<string> {
    const c = await docker().createContainer({
      Image: "berth-test/busybox:1",
      Cmd: ["sh", "-c", cmd],
      Labels: { "berth.dev/managed": "true", "berth.dev/project": PROJECT, ...labels },
    });
    ids.push(c.id);
    await c.start();
    return c.id;
  }

  it("follows logs with tail and since, and ends when the container stops", async () => {
    // stdout and stderr are timestamped by separate copiers; a pause keeps their order unambiguous
    const id = await run("seq 1 5; sleep 0.2; echo err >&2; sleep 2; echo late");
    // Docker's own race: a line written while a tail is being read can be missed; wait for it first.
    await eventually(async () => {
      const text = await docker().getContainer(id).logs({ stdout: true, stderr: true, follow: false });
      return text.toString().includes("err");
    });
    const demux = new LogDemuxer();
    const lines = [];
    for await (const chunk of await client.followLogs(id, { tail: 3 }))
      lines.push(...demux.push(chunk as Buffer));
    expect(lines.map((l) => `${l.stream}:${l.line}`)).toEqual([
      "stdout:4",
      "stdout:5",
      "stderr:err",
      "stdout:late",
    ]);
    const since = lines[1]?.ts ?? "";
    const again = new LogDemuxer();
    const resumed = [];
    for await (const chunk of await client.followLogs(id, { since: dockerSince(since) }))
      resumed.push(...again.push(chunk as Buffer));
    expect(resumed.map((l) => l.line)).toEqual(["5", "err", "late"]);
    await expect(client.followLogs("no-such-container-berth")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("samples through the stats API when cgroup files are not used", async () => {
    const busy = await run("while true; do :; done", { "berth.dev/container": "busy" });
    const ac = new AbortController();
    const observer = new DockerObserver({ client, logger: nopLogger });
    observer.start(ac.signal);
    await observer.waitSynced();
    const bus = new InProcessBus(nopLogger);
    const seen: StreamMessage[] = [];
    bus.subscribe((m) => seen.push(m), { kind: "metrics" });
    const key = PROJECT.replace(".", "/");
    const desired = {
      get: (k: string) =>
        k === key
          ? ({
              project: { spec: { metrics: { enabled: true, intervalSeconds: 1 } } },
            } as unknown as DesiredProject)
          : undefined,
    };
    const sampler = new MetricsSampler({
      docker: client,
      observed: observer,
      desired,
      bus,
      registry: new Registry(),
      logger: nopLogger,
      cgroups: undefined,
    });
    sampler.start(ac.signal);
    try {
      await eventually(() => observer.get(busy) !== undefined, 10_000, "observed");
      const series = await eventually(
        () => {
          const points = sampler.series(key)[0]?.points ?? [];
          return points.length >= 3 ? points : undefined;
        },
        20_000,
        "3 samples",
      );
      expect(series.at(-1)?.source).toBe("api");
      // A busy loop: well above an idle container (about 0) even on a loaded machine.
      expect(series.at(-1)?.cpuCores).toBeGreaterThan(0.1);
      expect(series.at(-1)?.memoryUsageBytes).toBeGreaterThan(0);
      expect(seen.length).toBeGreaterThanOrEqual(3);
      expect(client.calls.count("stats")).toBeGreaterThanOrEqual(3);
    } finally {
      ac.abort();
    }
  }, 40_000);
});
