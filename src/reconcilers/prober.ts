/**
 * Health checks that Berth runs itself: httpGet and tcpSocket against the host side of a published
 * port (exec checks are delegated to dockerd). Semantics follow Kubernetes readiness probes.
 */
import { request } from "node:http";
import { connect } from "node:net";
import type { Clock, Timer } from "../util/clock.js";
import { systemClock } from "../util/clock.js";
import type { Logger } from "../util/logger.js";

/** Timing of a probe, as in the spec's healthCheck (seconds). */
export interface ProbeTiming {
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  initialDelaySeconds: number;
}

/** What to probe: an `http://host:port/path` URL (plain HTTP only), or a TCP endpoint. */
export type ProbeTarget = ({ kind: "http"; url: string } | { kind: "tcp"; host: string; port: number }) &
  ProbeTiming;

/** Health of one probed container. */
export type ProbeHealth = "starting" | "healthy" | "unhealthy";

/** Outcome of the latest probe, for condition messages. */
export interface ProbeResult {
  readonly ok: boolean;
  /** e.g. `HTTP GET http://127.0.0.1:20001/healthz returned 500`. */
  readonly message: string;
}

/** Options of {@link Prober}. */
export interface ProberOptions {
  logger: Logger;
  /** Schedules probes and measures the initial delay; default {@link systemClock}. */
  clock?: Clock;
  /** Milliseconds per spec second for period, timeout and initial delay; default 1000. Tests only. */
  msPerSecond?: number;
}

/** At most this much of a response body is read; the rest is discarded with the connection. */
const MAX_BODY_BYTES = 10 * 1024;

/**
 * Runs one probe loop per (project key, container). Each loop is a single timer chain: the next
 * probe is scheduled only after the previous one finished, `period` after the previous one started,
 * so probes of one target never overlap. The first probe runs right after `set`. Methods never block
 * or throw; they are meant for the reconciler (`set`, `remove`) and for any reader (`health`).
 */
export class Prober {
  private readonly loops = new Map<string, Map<string, ProbeLoop>>();
  private readonly listeners = new Set<(key: string) => void>();
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly msPerSecond: number;
  private stopped = false;

  constructor(options: ProberOptions) {
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.msPerSecond = options.msPerSecond ?? 1000;
  }

  /**
   * Starts, replaces or (with `undefined`) removes the probe of `container` in project `key`. An
   * equal target is a no-op that keeps the current health; a different one starts over at
   * "starting". Ignored after `stop()`. Changes made here do not call `onChange` listeners.
   */
  set(key: string, container: string, target: ProbeTarget | undefined): void {
    const byContainer = this.loops.get(key);
    const current = byContainer?.get(container);
    if (target === undefined) {
      current?.stop();
      byContainer?.delete(container);
      if (byContainer?.size === 0) this.loops.delete(key);
      return;
    }
    if (this.stopped || (current && sameTarget(current.target, target))) return;
    current?.stop();
    const loop = new ProbeLoop({ ...target }, this.clock, this.msPerSecond, (health, result) =>
      this.changed(key, container, health, result),
    );
    if (byContainer) byContainer.set(container, loop);
    else this.loops.set(key, new Map([[container, loop]]));
    loop.start();
  }

  /** Stops and forgets every probe of project `key`. */
  remove(key: string): void {
    for (const loop of this.loops.get(key)?.values() ?? []) loop.stop();
    this.loops.delete(key);
  }

  /** Current health, or undefined when the container has no probe. */
  health(key: string, container: string): ProbeHealth | undefined {
    return this.loops.get(key)?.get(container)?.health;
  }

  /** The latest probe's outcome, or undefined before the first probe finished. */
  lastResult(key: string, container: string): ProbeResult | undefined {
    return this.loops.get(key)?.get(container)?.last;
  }

  /**
   * Calls `listener(key)` synchronously whenever a probe changes a container's health. A throwing
   * listener is logged and does not affect the others. Returns an unsubscribe function.
   */
  onChange(listener: (key: string) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Stops every probe, aborting those in flight; later `set` calls are ignored. Idempotent. */
  stop(): void {
    this.stopped = true;
    for (const key of [...this.loops.keys()]) this.remove(key);
  }

  private changed(key: string, container: string, health: ProbeHealth, result: ProbeResult): void {
    this.logger.info("health changed", { key, container, health, probe: result.message });
    for (const listener of [...this.listeners]) {
      try {
        listener(key);
      } catch (err) {
        this.logger.error("prober onChange listener threw", { key, err });
      }
    }
  }
}

/** The probe loop of one container. */
class ProbeLoop {
  health: ProbeHealth = "starting";
  last: ProbeResult | undefined;
  private failures = 0;
  private succeeded = false;
  private stopped = false;
  private timer: Timer | undefined;
  private inFlight: AbortController | undefined;
  private readonly startedAt: number;

  constructor(
    readonly target: ProbeTarget,
    private readonly clock: Clock,
    private readonly msPerSecond: number,
    private readonly onHealth: (health: ProbeHealth, result: ProbeResult) => void,
  ) {
    this.startedAt = clock.now();
  }

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.inFlight?.abort();
  }

  private schedule(ms: number): void {
    if (!this.stopped) this.timer = this.clock.setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    const began = this.clock.now();
    // One controller per probe, aborted by the timeout or by stop(). Not AbortSignal.any() over a
    // long-lived stop signal: some Node versions keep every such composite alive (nodejs/node#55351).
    const ctl = new AbortController();
    const timeout = AbortSignal.timeout(Math.max(1, this.target.timeoutSeconds * this.msPerSecond));
    const onTimeout = (): void => ctl.abort(timeout.reason);
    timeout.addEventListener("abort", onTimeout, { once: true });
    this.inFlight = ctl;
    const result = await runProbe(this.target, ctl.signal);
    timeout.removeEventListener("abort", onTimeout);
    this.inFlight = undefined;
    if (this.stopped) return;
    this.record(result);
    this.schedule(began + this.target.periodSeconds * this.msPerSecond - this.clock.now());
  }

  private record(result: ProbeResult): void {
    this.last = result;
    let next = this.health;
    if (result.ok) {
      this.failures = 0;
      this.succeeded = true;
      next = "healthy";
    } else {
      const grace = this.target.initialDelaySeconds * this.msPerSecond;
      if (this.succeeded || this.clock.now() - this.startedAt >= grace) this.failures += 1;
      if (this.failures >= Math.max(1, this.target.failureThreshold)) next = "unhealthy";
    }
    if (next === this.health) return;
    this.health = next;
    this.onHealth(next, result);
  }
}

function sameTarget(a: ProbeTarget, b: ProbeTarget): boolean {
  const timing = (t: ProbeTarget) =>
    `${t.periodSeconds}/${t.timeoutSeconds}/${t.failureThreshold}/${t.initialDelaySeconds}`;
  if (timing(a) !== timing(b)) return false;
  if (a.kind === "http") return b.kind === "http" && a.url === b.url;
  return b.kind === "tcp" && a.host === b.host && a.port === b.port;
}

/** Runs one probe; never throws. `signal` carries both the timeout and the loop's stop. */
function runProbe(target: ProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
  return (
    target.kind === "http" ? httpProbe(target.url, signal) : tcpProbe(target.host, target.port, signal)
  ).catch((err: unknown) => ({ ok: false, message: `probe failed: ${errMessage(err)}` }));
}

/**
 * GET `url`; 200-399 is success. `agent: false` opens a fresh connection per probe, as the kubelet
 * does (it disables keep-alive for probes): probes are at most one per second, so a kept-alive
 * socket would only hold an idle connection open in every user's app, and one closed by the server
 * between probes (Node's default keepAliveTimeout is 5 s, the default period too) would turn into
 * a spurious ECONNRESET failure. A new connection also checks what readiness means: that the
 * server accepts connections. The body is read up to 10 KiB and discarded.
 */
function httpProbe(url: string, signal: AbortSignal): Promise<ProbeResult> {
  const what = `HTTP GET ${url}`;
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: "GET", agent: false, signal, headers: { "user-agent": "berth-probe/1", accept: "*/*" } },
      (res) => {
        const status = res.statusCode ?? 0;
        const ok = status >= 200 && status < 400;
        const done = (): void => resolve({ ok, message: `${what} returned ${status}` });
        let read = 0;
        res.on("data", (chunk: Buffer) => {
          read += chunk.length;
          if (read < MAX_BODY_BYTES) return;
          res.destroy();
          done();
        });
        res.on("end", done);
        res.on("error", (err) =>
          resolve({ ok: false, message: `${what}: reading the body: ${errMessage(err)}` }),
        );
        res.on("close", () => {
          if (!res.complete)
            resolve({ ok: false, message: `${what}: ${reason(signal, "response cut short")}` });
        });
      },
    );
    req.on("error", (err) => resolve({ ok: false, message: `${what}: ${reason(signal, errMessage(err))}` }));
    req.end();
  });
}

/** Connects to host:port; success once the connection is established, then closes it. */
function tcpProbe(host: string, port: number, signal: AbortSignal): Promise<ProbeResult> {
  const what = `TCP connect ${host}:${port}`;
  return new Promise((resolve) => {
    if (signal.aborted) return resolve({ ok: false, message: `${what}: ${reason(signal, "aborted")}` });
    const socket = connect({ host, port });
    const finish = (result: ProbeResult): void => {
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = (): void => finish({ ok: false, message: `${what}: ${reason(signal, "aborted")}` });
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => finish({ ok: true, message: `${what} succeeded` }));
    socket.once("error", (err) => finish({ ok: false, message: `${what}: ${errMessage(err)}` }));
  });
}

function reason(signal: AbortSignal, fallback: string): string {
  const r: unknown = signal.reason;
  return r instanceof Error && r.name === "TimeoutError" ? "timed out" : fallback;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
