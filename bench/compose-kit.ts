/**
 * What bench/compose needs around the measurements: the Docker Compose binary, the HTTP poller
 * process, an in-process operator, and the cleanup of everything the benchmark creates.
 */
import { execFile, execFileSync, fork, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { startManager, type Manager } from "../src/operator/manager.js";
import { nopLogger } from "../src/util/logger.js";
import type { PollReply, PollRequest } from "./compose-poll.js";
import { benchRunOptions } from "./options.js";
import { epochMs } from "./stats.js";

/** Compose project names of the benchmark start with this; so do their networks. */
export const COMPOSE_PREFIX = "berthbc-";
/** The Berth namespace of the benchmark's projects. */
export const BERTH_NAMESPACE = "benchcompose";

/**
 * The path of Docker Compose v2 as scripts/compose-build.sh builds and caches it (a few minutes
 * the first time on a machine, then at once). Blocks; throws when the build fails.
 */
export function composeBinary(): string {
  const script = fileURLToPath(new URL("../scripts/compose-build.sh", import.meta.url));
  const out = execFileSync("bash", [script], { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
  const path = out.trim().split("\n").pop();
  if (!path) throw new Error("scripts/compose-build.sh printed no path");
  return path;
}

const run = promisify(execFile);

/** Runs the compose binary with `args`; rejects with its last stderr line when it fails or takes 5 min. */
export async function compose(bin: string, args: string[]): Promise<void> {
  try {
    await run(bin, args, { maxBuffer: 16 << 20, timeout: 300_000 });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? "").trim();
    const last = stderr.split("\n").pop() || (err as Error).message;
    throw new Error(`compose ${args.join(" ")}: ${last}`);
  }
}

/** The poller child process (bench/compose-poll.ts); one poll at a time. */
export class Poller {
  private readonly child: ChildProcess = fork(fileURLToPath(new URL("./compose-poll.ts", import.meta.url)), {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });

  /** `fromStart`: poll each port from dockerd's start event of its container, not at once. */
  constructor(
    private readonly gapMs: number,
    private readonly fromStart: boolean,
  ) {}

  /**
   * Starts polling `ports`, each published by the container of the same index in `containers`;
   * resolves once the poller is ready, with a promise of the epoch ms at which the last port first
   * answered 200 (rejected after `deadlineMs`).
   */
  start(ports: number[], containers: string[], deadlineMs = 180_000): Promise<{ answered: Promise<number> }> {
    return new Promise((resolveStarted, rejectStarted) => {
      let settle: ((at: number) => void) | undefined;
      let fail: ((err: Error) => void) | undefined;
      const answered = new Promise<number>((res, rej) => {
        settle = res;
        fail = rej;
      });
      answered.catch(() => {}); // the caller awaits it
      const onExit = (code: number | null) => {
        const err = new Error(`poller exited (${code})`);
        rejectStarted(err);
        fail?.(err);
      };
      const onMessage = (reply: PollReply) => {
        if (reply.type === "polling") return resolveStarted({ answered });
        this.child.off("message", onMessage);
        this.child.off("exit", onExit);
        if (reply.ok) settle?.(Math.max(...reply.answeredAt));
        else fail?.(new Error(reply.error));
      };
      this.child.on("message", onMessage);
      this.child.once("exit", onExit);
      const after = this.fromStart ? { after: containers } : {};
      this.child.send({
        ports,
        ...after,
        gapMs: this.gapMs,
        attemptTimeoutMs: 50,
        deadlineMs,
      } satisfies PollRequest);
    });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
  }
}

/** An in-process operator on `dir`, ready (caches synced) when this resolves. */
export interface Berth {
  manager: Manager;
  stop(): Promise<void>;
}

export async function startBerth(
  dir: string,
  stateDir: string,
  portRange: string,
  graceSeconds: number,
): Promise<Berth> {
  const abort = new AbortController();
  const options = benchRunOptions({ dir, stateDir, portRange, stopTimeout: `${graceSeconds}s` });
  const manager = await startManager(options, nopLogger, abort.signal);
  const t0 = performance.now();
  while (!manager.ready()) {
    if (performance.now() - t0 > 30_000) {
      abort.abort();
      await manager.done;
      throw new Error("berth not ready after 30 s");
    }
    await sleep(5);
  }
  return {
    manager,
    async stop() {
      abort.abort();
      await manager.done;
    },
  };
}

/** Berth's port range in the benchmark: the 500 ports from `port + 500` (compose's start at `port`). */
export const berthRange = (port: number): string => `${port + 500}-${port + 999}`;

/** A project's phase and the messages of its false conditions, to say why a wait failed. */
export function berthStatus(berth: Berth, key: string): string {
  const st = berth.manager.status.get(key)?.status;
  if (!st) return `berth has no status for ${key}`;
  const bad = (st.conditions ?? []).filter((c) => c.status !== "True" && c.type !== "Progressing");
  return `berth ${key}: ${st.phase} ${bad.map((c) => `${c.type}=${c.reason} ${c.message}`).join("; ")}`;
}

/** Resolves when project `key` has no status and no container left, with the epoch ms of that. */
export async function berthGone(manager: Manager, key: string, deadlineMs = 300_000): Promise<number> {
  const end = performance.now() + deadlineMs;
  while (manager.status.get(key) || manager.observer.byProject(key).length > 0) {
    if (performance.now() > end) throw new Error(`${key} not removed within ${deadlineMs} ms`);
    await sleep(5);
  }
  return epochMs();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function bounded<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/** True for the labels of a container or network the benchmark made, on either side. */
export function ours(labels: Record<string, string> | undefined): boolean {
  return (
    (labels?.["com.docker.compose.project"] ?? "").startsWith(COMPOSE_PREFIX) ||
    (labels?.["berth.dev/project"] ?? "").startsWith(`${BERTH_NAMESPACE}.`)
  );
}

/**
 * Force-removes every container and network of the benchmark, compose's and Berth's (an operator
 * must be stopped first, or it recreates them). Returns how many containers it removed.
 */
export async function cleanup(docker: Docker): Promise<number> {
  const cs = (await docker.listContainers({ all: true })).filter((c) => ours(c.Labels));
  await bounded(cs, 8, (c) =>
    docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => {}),
  );
  const ns = (await docker.listNetworks()).filter((n) => ours(n.Labels) || n.Name.startsWith(COMPOSE_PREFIX));
  await bounded(ns, 8, (n) =>
    docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => {}),
  );
  return cs.length;
}

/** Containers of the benchmark left in Docker (0 after a complete down or delete). */
export async function leftOver(
  docker: Docker,
  match: (labels: Record<string, string>) => boolean,
): Promise<number> {
  return (await docker.listContainers({ all: true })).filter((c) => match(c.Labels)).length;
}

/** Throws naming the first of `ports` something on 127.0.0.1 listens on already. */
export async function checkPortsFree(ports: readonly number[]): Promise<void> {
  for (const port of ports) {
    await new Promise<void>((resolve, reject) => {
      const s = createServer();
      s.once("error", () =>
        reject(new Error(`port ${port} is in use; set BENCH_COMPOSE_PORT to a free block`)),
      );
      s.listen(port, "127.0.0.1", () => s.close(() => resolve()));
    });
  }
}
