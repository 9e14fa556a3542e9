import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  cleanupDirs,
  eventually,
  removeProjects,
  startDaemon,
  type Daemon,
} from "../operator/daemon.js";
import { NS, waitRunning, writeProject } from "./helpers.js";

const suffix = Math.random().toString(36).slice(2, 7);
const busy = `busy-${suffix}`;
const idle = `idle-${suffix}`;

/** Value of a series on /metrics, or undefined when it is absent. */
async function series(d: Daemon, name: string, project: string): Promise<number | undefined> {
  const text = await (await api(d, `/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(`project="${project}"`));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

describe("container metrics", () => {
  let d: Daemon;
  beforeAll(async () => {
    d = await startDaemon({ portRange: "28600-28799" });
  });
  afterAll(async () => {
    await d?.stop();
    await removeProjects([busy, idle].map((n) => `${NS}.${n}`));
    if (d) cleanupDirs(d.dir, d.stateDir);
  });

  it("shows a busy container's CPU above an idle one's, and drops the series after deletion", async () => {
    writeProject(d, busy, "while true; do :; done", { metrics: true });
    writeProject(d, idle, "exec sleep 3600", { metrics: true });
    await waitRunning(d, busy);
    await waitRunning(d, idle);
    const cpu = "berth_container_cpu_usage_seconds_total";
    const first = await eventually(async () => {
      const b = await series(d, cpu, busy);
      const i = await series(d, cpu, idle);
      return b !== undefined && i !== undefined ? { b, i } : undefined;
    });
    await new Promise((r) => setTimeout(r, 3000));
    const b = (await series(d, cpu, busy)) ?? 0;
    const i = (await series(d, cpu, idle)) ?? 0;
    expect(b - first.b).toBeGreaterThan(1);
    expect(i - first.i).toBeLessThan(0.2);
    expect(await series(d, "berth_container_memory_working_set_bytes", idle)).toBeGreaterThan(0);
    expect(await series(d, "berth_container_network_receive_bytes_total", idle)).toBeGreaterThanOrEqual(0);

    const rest: unknown = await (await api(d, `/api/v1/projects/${NS}/${busy}/metrics`)).json();
    const points = (
      rest as { items: Array<{ container: string; points: Array<{ cpuCores: number; source: string }> }> }
    ).items[0]?.points;
    expect(points?.length).toBeGreaterThan(2);
    expect(points?.at(-1)?.cpuCores).toBeGreaterThan(0.5);
    expect(points?.at(-1)?.source).toBe("cgroup");

    rmSync(join(d.dir, `${busy}.yaml`));
    await eventually(async () => (await series(d, cpu, busy)) === undefined, 30_000, "busy series gone");
    expect(await series(d, cpu, idle)).toBeDefined();
  }, 90_000);
});
