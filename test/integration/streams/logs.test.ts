import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  cleanupDirs,
  docker,
  eventually,
  removeProjects,
  startDaemon,
  type Daemon,
} from "../operator/daemon.js";
import { NS, numberedLines, queryLogs, sequenceProblems, waitRunning, writeProject } from "./helpers.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const suffix = Math.random().toString(36).slice(2, 7);
const fast = `fast-${suffix}`;
const churn = `churn-${suffix}`;
const cli = `cli-${suffix}`;

describe("container logs", () => {
  let d: Daemon;
  beforeAll(async () => {
    d = await startDaemon({ portRange: "28000-28199" });
  });
  afterAll(async () => {
    await d?.stop();
    await removeProjects([fast, churn, cli].map((n) => `${NS}.${n}`));
    if (d) cleanupDirs(d.dir, d.stateDir);
  });

  it("keeps every line of 5000 lines/s for 10 s in order and answers tail queries meanwhile", async () => {
    writeProject(d, fast, numberedLines(500, 100), { retainLines: 60_000 });
    await waitRunning(d, fast);
    const tailTimes: number[] = [];
    await eventually(
      async () => {
        const started = performance.now();
        const tail = await queryLogs(d, fast, "tail=1000&grep=0$");
        tailTimes.push(performance.now() - started);
        expect(tail.length).toBeLessThanOrEqual(1000);
        const all = await queryLogs(d, fast, "tail=1");
        return all[0]?.line.endsWith(" 50000");
      },
      40_000,
      "line 50000",
    );
    expect(tailTimes.length).toBeGreaterThan(5);
    const lines = await queryLogs(d, fast);
    expect(lines).toHaveLength(50_000);
    const { runs, problems } = sequenceProblems(lines.map((l) => l.line));
    expect(problems).toEqual([]);
    expect([...runs.values()]).toEqual([50_000]);
    expect(lines.every((l) => l.container === "app" && l.stream === "stdout")).toBe(true);
  }, 90_000);

  it("loses and doubles nothing across a container restart and a replacement", async () => {
    writeProject(d, churn, numberedLines(100, 1_000_000), { retainLines: 100_000 });
    await waitRunning(d, churn);
    const count = async () => (await queryLogs(d, churn)).length;
    await eventually(async () => (await count()) > 1000, 20_000, "first lines");
    const [c] = await docker().listContainers({ filters: { label: [`berth.dev/project=${NS}.${churn}`] } });
    await docker()
      .getContainer(c?.Id ?? "")
      .restart({ t: 1 });
    await eventually(
      async () => (await queryLogs(d, churn, "tail=1"))[0]?.line.split(" ")[1] === "2",
      20_000,
      "lines of the second run",
    );
    const before = await count();
    await eventually(async () => (await count()) > before + 1000, 20_000, "more lines after restart");
    writeProject(d, churn, numberedLines(100, 1_000_000), { retainLines: 100_000, env: "2" });
    await eventually(
      async () => {
        const fresh = (await queryLogs(d, churn)).filter(
          (l) => !l.line.startsWith(c?.Id.slice(0, 12) ?? "?"),
        );
        return fresh.length >= 1000;
      },
      30_000,
      "1000 lines of the replacement",
    );
    const lines = (await queryLogs(d, churn)).map((l) => l.line);
    const { runs, problems } = sequenceProblems(lines);
    expect(problems).toEqual([]);
    expect(runs.size).toBe(3);
    expect(new Set([...runs.keys()].map((k) => k.split(" ")[0])).size).toBe(2);
  }, 120_000);

  it("rejects an invalid regex with its position, and follows with berth logs -f", async () => {
    const bad = await api(d, `/api/v1/projects/${NS}/${fast}/logs?grep=${encodeURIComponent("ab(c")}`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/position 4/);
    const missing = await api(d, `/api/v1/projects/${NS}/nope-${suffix}/logs`);
    expect(missing.status).toBe(404);

    writeProject(d, cli, "i=0; while true; do i=$((i+1)); echo tick $i; usleep 50000; done");
    await waitRunning(d, cli);
    await eventually(async () => (await queryLogs(d, cli)).length >= 3, 20_000, "three ticks");
    const args = [
      join(ROOT, "bin", "berth.js"),
      "--server",
      d.url,
      "logs",
      `${NS}/${cli}`,
      "--tail",
      "2",
      "-f",
    ];
    const proc = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    proc.stdout.on("data", (b: Buffer) => (out += b.toString()));
    try {
      await eventually(() => out.split("\n").filter(Boolean).length >= 8, 20_000, "8 followed lines");
    } finally {
      proc.kill("SIGTERM");
    }
    const nums = out
      .split("\n")
      .filter(Boolean)
      .map((l) => Number(l.split(" ")[1]));
    for (let i = 1; i < nums.length; i++) expect(nums[i]).toBe((nums[i - 1] ?? 0) + 1);
  }, 60_000);
});
