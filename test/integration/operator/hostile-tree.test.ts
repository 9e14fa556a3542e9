import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { readTestEnv } from "../../helpers/env.js";
import { cleanupDirs, docker, eventually, freePort, removeProjects } from "./daemon.js";

const BIN = fileURLToPath(new URL("../../../bin/berth.js", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const suffix = Math.random().toString(36).slice(2, 7);
const NAME = `real-${suffix}`;
const LABEL = `default.${NAME}`;
/** Longest answer of /healthz allowed while the daemon starts and loads. */
const HEALTHZ_MS = 100;
/** /healthz is polled from the spawn on, this often, until this long after its first answer. */
const POLL_EVERY_MS = 25;
const POLL_AFTER_FIRST_ANSWER_MS = 3000;
/** Start-up (loading the TypeScript sources, connecting to Docker) may take this long. */
const START_MS = 40_000;

function realSpec(image: string): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata:
  name: ${NAME}
  labels: {suite: hostile-tree}
spec:
  containers:
    - name: web
      image: ${image}
      command: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"]
      ports: [{name: http, containerPort: 8080}]
`;
}

interface Poll {
  ms: number;
  /** Undefined: no connection yet. */
  status: number | undefined;
  /** How late this process's own 5 ms timer ran during the poll: the machine's CPU starvation. */
  lagMs: number;
}

/** One poll of `url`, timed, with how starved this process itself was meanwhile. */
async function poll(url: string): Promise<Poll> {
  let lagMs = 0;
  let last = performance.now();
  const probe = setInterval(() => {
    const now = performance.now();
    lagMs = Math.max(lagMs, now - last - 5);
    last = now;
  }, 5);
  const t0 = performance.now();
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await r.arrayBuffer();
    return { ms: performance.now() - t0, status: r.status, lagMs };
  } catch {
    return { ms: performance.now() - t0, status: undefined, lagMs };
  } finally {
    clearInterval(probe);
  }
}

describe("berth run on a watched directory with a link to / and a FIFO named trap.yaml", () => {
  const env = readTestEnv();
  const dir = mkdtempSync(join(tmpdir(), "berth-it-hostile-"));
  const stateDir = mkdtempSync(join(tmpdir(), "berth-it-hostile-state-"));
  let proc: ChildProcess | undefined;
  let out = "";

  afterAll(async () => {
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    try {
      await removeProjects([LABEL]);
    } finally {
      cleanupDirs(dir, stateDir);
    }
  });

  it("loads the real spec, answers /healthz fast throughout, and stops on SIGTERM", async () => {
    symlinkSync("/", join(dir, "root"));
    symlinkSync("/", join(dir, "root.yaml"));
    execFileSync("mkfifo", [join(dir, "trap.yaml")]);
    writeFileSync(join(dir, `${NAME}.yaml`), realSpec(env.image));

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // The flags of startDaemon (daemon.ts), which only returns once /readyz answers.
    const args = [
      BIN,
      "run",
      "--dir",
      dir,
      "--state-dir",
      stateDir,
      "--http",
      `127.0.0.1:${port}`,
      "--port-range",
      "22100-22199",
      "--stop-timeout",
      "1s",
      "--docker",
      env.dockerHost,
    ];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    proc = child;
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

    const polls: Poll[] = [];
    const startBy = performance.now() + START_MS;
    let end = startBy;
    while (performance.now() < end && child.exitCode === null) {
      const p = await poll(`${url}/healthz`);
      polls.push(p);
      if (p.status !== undefined && end === startBy) end = performance.now() + POLL_AFTER_FIRST_ANSWER_MS;
      await new Promise((r) => setTimeout(r, POLL_EVERY_MS));
    }
    expect(child.exitCode, out).toBeNull();
    // The specs were loaded while /healthz was being polled.
    expect(out).toContain("spec files loaded");
    const first = polls.findIndex((p) => p.status !== undefined);
    expect(first, `no /healthz answer in ${START_MS} ms:\n${out}`).toBeGreaterThanOrEqual(0);
    const afterListening = polls.slice(first);
    // Once the server listens, every poll is answered, 200, within the bound.
    expect(afterListening.filter((p) => p.status !== 200)).toEqual([]);
    // Within the bound, not counting time this process itself spent off the CPU: a busy machine
    // delays the client too, and a late client is no slow daemon.
    const slow = afterListening.filter((p) => p.ms - p.lagMs >= HEALTHZ_MS);
    const shown = slow.map((p) => `${p.ms.toFixed(0)} ms (own lag ${p.lagMs.toFixed(0)} ms)`);
    expect(shown, `of ${afterListening.length} answers`).toEqual([]);

    await eventually(
      async () => (await fetch(`${url}/readyz`)).status === 200,
      30_000,
      `/readyz 200:\n${out}`,
    );
    const containers = await eventually(
      async () => {
        const list = await docker().listContainers({
          all: true,
          filters: JSON.stringify({ label: [`berth.dev/project=${LABEL}`] }),
        });
        return list.length > 0 ? list : undefined;
      },
      30_000,
      `a container of ${LABEL}`,
    );
    expect(containers.map((c) => c.Names[0])).toEqual([`/berth-default-${NAME}-web`]);
    expect(out).toContain("trap.yaml");
    expect(out).toContain("not a regular file (a FIFO)");

    const t0 = Date.now();
    child.kill("SIGTERM");
    const code = await Promise.race([
      exited,
      new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 10_000)),
    ]);
    expect(code, `exit within 10 s of SIGTERM, within its shutdown grace:\n${out}`).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
  }, 150_000);
});
