/**
 * The measurement behind `--docker-concurrency`'s default: bare dockerode creates and starts one
 * project's containers (each publishing a port, on one user network) with at most N calls in
 * flight, for several N, alternating N between repetitions. Docker only: no operator runs.
 *
 *   BENCH_CONCURRENCY_LEVELS=1,4,8,16,32  BENCH_CONCURRENCY_CONTAINERS=30  BENCH_CONCURRENCY_REPS=3
 */
import Docker from "dockerode";
import { bounded, sleep } from "./compose-kit.js";
import { summarize } from "./stats.js";

const LABEL = "berth-bench.concurrency";
const IMAGE = "berth-test/busybox:1";
const NETWORK = "berth-bench-concurrency";
const PORT = 26000;

function list(env: NodeJS.ProcessEnv, name: string, fallback: string): number[] {
  const v = (env[name] ?? fallback).split(",").map(Number);
  if (v.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`${name}=${env[name]}: whole numbers >= 1`);
  return v;
}

async function clean(docker: Docker): Promise<void> {
  const filters = JSON.stringify({ label: [`${LABEL}=1`] });
  const cs = await docker.listContainers({ all: true, filters });
  await bounded(cs, 8, (c) => docker.getContainer(c.Id).remove({ force: true }));
  for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove();
}

/** Create + start of `n` containers at `limit` calls in flight; milliseconds. */
async function once(docker: Docker, n: number, limit: number): Promise<number> {
  await clean(docker);
  await docker.createNetwork({ Name: NETWORK, Labels: { [LABEL]: "1" } });
  await sleep(200);
  const started = performance.now();
  await bounded([...Array(n).keys()], limit, async (i) => {
    const c = await docker.createContainer({
      name: `berth-bench-concurrency-${i}`,
      Image: IMAGE,
      Cmd: ["sh", "-c", "exec httpd -f -p 8080 -h /"],
      Labels: { [LABEL]: "1" },
      ExposedPorts: { "8080/tcp": {} },
      HostConfig: {
        NetworkMode: NETWORK,
        PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: String(PORT + i) }] },
      },
    });
    await c.start();
  });
  return performance.now() - started;
}

export async function run(): Promise<void> {
  const levels = list(process.env, "BENCH_CONCURRENCY_LEVELS", "1,4,8,16,32");
  const [n = 30] = list(process.env, "BENCH_CONCURRENCY_CONTAINERS", "30");
  const [reps = 3] = list(process.env, "BENCH_CONCURRENCY_REPS", "3");
  const docker = new Docker({ socketPath: "/var/run/docker.sock" });
  const runs = new Map<number, number[]>(levels.map((l) => [l, []]));
  try {
    for (let rep = 0; rep < reps; rep++) {
      const order = rep % 2 === 0 ? levels : [...levels].reverse();
      for (const limit of order) runs.get(limit)?.push(await once(docker, n, limit));
    }
  } finally {
    await clean(docker);
  }
  console.log(`concurrency: create + start of ${n} containers with a published port (median [every run])`);
  const serial = summarize(runs.get(levels[0] ?? 1) ?? []).median;
  for (const [limit, sample] of runs) {
    const p50 = summarize(sample).median;
    const each = sample.map((v) => v.toFixed(0)).join(", ");
    console.log(
      `  ${String(limit).padStart(3)} in flight: ${(p50 / 1000).toFixed(2)} s [${each}] ${(p50 / serial).toFixed(2)}x`,
    );
  }
}
