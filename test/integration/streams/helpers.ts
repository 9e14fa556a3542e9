import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LogLine } from "../../../src/streams/log-line.js";
import { api, eventually, type Daemon } from "../operator/daemon.js";

export const IMAGE = "berth-test/busybox:1";
export const NS = "streams";

/**
 * A shell script that prints `<hostname> <run> <n>` lines in batches of `perBatch` every 100 ms,
 * `batches` times (then sleeps). `run` counts starts of the same container (kept in /tmp/run), so
 * a restarted container starts a new run and every (hostname, run) must be 1..max without gaps.
 */
export function numberedLines(perBatch: number, batches: number): string {
  return [
    "r=$(cat /tmp/run 2>/dev/null || echo 0); r=$((r+1)); echo $r > /tmp/run; b=0",
    `while [ $b -lt ${batches} ]; do seq $((b*${perBatch}+1)) $((b*${perBatch}+${perBatch})) | sed "s/^/$HOSTNAME $r /"; b=$((b+1)); usleep 100000; done`,
    "exec sleep 3600",
  ].join("; ");
}

/** Writes a one-container project spec file. */
export function writeProject(
  d: Daemon,
  name: string,
  command: string,
  opts: { retainLines?: number; env?: string; metrics?: boolean } = {},
): void {
  const text = `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${name}, namespace: ${NS}}
spec:
  logs: {retainLines: ${opts.retainLines ?? 10000}}
  metrics: {enabled: ${opts.metrics ?? false}, intervalSeconds: 1}
  containers:
    - name: app
      image: ${IMAGE}
      command: ["sh", "-c", ${JSON.stringify(command)}]
      env: [{name: VERSION, value: "${opts.env ?? "1"}"}]
      restartPolicy: Always
`;
  writeFileSync(join(d.dir, `${name}.yaml`), text);
}

/** GET .../logs with a query string; throws on a non-200. */
export async function queryLogs(d: Daemon, name: string, query = ""): Promise<LogLine[]> {
  const r = await api(d, `/api/v1/projects/${NS}/${name}/logs${query ? `?${query}` : ""}`);
  if (!r.ok) throw new Error(`logs query answered ${r.status}: ${await r.text()}`);
  return ((await r.json()) as { items: LogLine[] }).items;
}

/** Waits until the project is Running. */
export async function waitRunning(d: Daemon, name: string): Promise<void> {
  await eventually(
    async () => {
      const r = await api(d, `/api/v1/projects/${NS}/${name}`);
      if (!r.ok) return false;
      const v = (await r.json()) as { status?: { phase?: string } };
      return v.status?.phase === "Running";
    },
    60_000,
    `${name} Running`,
  );
}

/** Problems in numbered lines: per (hostname, run) the numbers must be 1, 2, 3, ... in order. */
export function sequenceProblems(lines: readonly string[]): {
  runs: Map<string, number>;
  problems: string[];
} {
  const runs = new Map<string, number>();
  const problems: string[] = [];
  for (const text of lines) {
    const [host, run, n] = text.split(" ");
    const key = `${host} ${run}`;
    const expected = (runs.get(key) ?? 0) + 1;
    if (Number(n) !== expected) {
      if (problems.length < 10) problems.push(`${key}: expected ${expected}, got ${n}`);
      runs.set(key, Math.max(Number(n), runs.get(key) ?? 0));
    } else runs.set(key, expected);
  }
  return { runs, problems };
}
