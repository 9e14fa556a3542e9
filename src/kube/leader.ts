/**
 * Leader election with a coordination.k8s.io/v1 Lease, as client-go does it: a candidate takes
 * the lease when it is free or has not been renewed for `leaseDurationMs` (measured on this
 * process's clock from when it last saw the lease change, so clock skew between hosts does not
 * matter), then renews it every `retryPeriodMs`. A leader that has not renewed for
 * `renewDeadlineMs` stops leading. Every write carries the lease's resourceVersion, so two
 * candidates never both win.
 *
 * Losing the lease stops reconciling at once; the instance then campaigns again (controller-runtime
 * exits the process instead; here the HTTP API stays up and a short apiserver outage heals by
 * itself). On stop the leader releases the lease so that a standby takes over at once.
 */
import { keyOf } from "../api/index.js";
import { sleep } from "../util/abort.js";
import type { Clock } from "../util/clock.js";
import { systemClock } from "../util/clock.js";
import type { Logger } from "../util/logger.js";
import type { LeasesApi } from "./api.js";
import { KubeApiError } from "./errors.js";
import type { Lease } from "./objects.js";

/** Options of {@link LeaderElector}; the durations default to 15 s / 10 s / 2 s. */
export interface LeaderElectorOptions {
  api: LeasesApi;
  namespace: string;
  name: string;
  /** This candidate's identity (host name plus a random suffix). */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  logger: Logger;
  clock?: Clock;
  /** Wall clock for the lease's timestamps. */
  now?: () => Date;
  /** Called when this instance starts leading; `signal` aborts when it stops. */
  onStartedLeading: (signal: AbortSignal) => void;
  /** Called when this instance stops leading (also on shutdown while leading). */
  onStoppedLeading?: () => void;
  /** Called with true/false as leadership changes (the metric). */
  onLeadership?: (leading: boolean) => void;
}

/** Runs the election until stopped; see the module comment. */
export class LeaderElector {
  private readonly clock: Clock;
  private readonly now: () => Date;
  private readonly leaseMs: number;
  private readonly renewMs: number;
  private readonly retryMs: number;
  /** The lease as last read or written, and when (local clock) its holder or renewTime changed. */
  private observed: Lease | undefined;
  private observedAt = 0;
  private leading: AbortController | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly o: LeaderElectorOptions) {
    this.clock = o.clock ?? systemClock;
    this.now = o.now ?? (() => new Date());
    this.leaseMs = o.leaseDurationMs ?? 15_000;
    this.renewMs = o.renewDeadlineMs ?? 10_000;
    this.retryMs = o.retryPeriodMs ?? 2_000;
    if (!(this.leaseMs > this.renewMs && this.renewMs > this.retryMs && this.retryMs > 0)) {
      throw new RangeError("leader election needs lease duration > renew deadline > retry period > 0");
    }
  }

  /** True while this instance holds the lease. */
  get isLeader(): boolean {
    return this.leading !== undefined;
  }

  /** The identity of the current holder as last seen, if any. */
  get holder(): string | undefined {
    return this.observed?.spec.holderIdentity ?? undefined;
  }

  /** Starts campaigning; returns at once. When `signal` aborts, stops and releases the lease. */
  start(signal: AbortSignal): void {
    if (this.running) throw new Error("leader election was already started");
    this.running = this.run(signal);
  }

  /** Resolves once stopped (after the signal aborted and the lease was released). */
  stopped(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.acquire(signal);
      if (signal.aborted) break;
      await this.renewLoop(signal);
    }
    if (this.leading) {
      this.stopLeading();
      await this.release();
    }
  }

  /** Tries every retry period (with jitter) until the lease is ours or the signal aborts. */
  private async acquire(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew()) {
        this.o.logger.info("became leader", { lease: this.leaseRef(), identity: this.o.identity });
        const ctl = new AbortController();
        this.leading = ctl;
        this.o.onLeadership?.(true);
        this.o.onStartedLeading(ctl.signal);
        return;
      }
      // Wake when the holder's lease runs out if that comes before the next retry.
      const expiresIn = this.observedAt + this.leaseMs - this.clock.now();
      const retry = this.retryMs * (1 + Math.random() * 0.2);
      await sleep(expiresIn > 0 ? Math.min(retry, expiresIn + 10) : retry, signal, this.clock);
    }
  }

  /** Renews every retry period; returns when renewing failed for the renew deadline, or on abort. */
  private async renewLoop(signal: AbortSignal): Promise<void> {
    let lastRenew = this.clock.now();
    while (!signal.aborted) {
      await sleep(this.retryMs, signal, this.clock);
      if (signal.aborted) return;
      if (await this.tryAcquireOrRenew()) {
        lastRenew = this.clock.now();
        continue;
      }
      const lostToOther = this.holder !== undefined && this.holder !== "" && this.holder !== this.o.identity;
      if (lostToOther || this.clock.now() - lastRenew >= this.renewMs) {
        this.o.logger.warn("lost leadership; reconciling stops", {
          lease: this.leaseRef(),
          holder: this.holder,
          sinceLastRenewMs: Math.round(this.clock.now() - lastRenew),
        });
        this.stopLeading();
        return;
      }
    }
  }

  private stopLeading(): void {
    const ctl = this.leading;
    if (!ctl) return;
    this.leading = undefined;
    ctl.abort();
    this.o.onLeadership?.(false);
    this.o.onStoppedLeading?.();
  }

  /** One attempt; true when this instance holds the lease afterwards. Never throws. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { api, namespace, name, identity } = this.o;
    const nowIso = this.now().toISOString();
    const durationSeconds = Math.round(this.leaseMs / 1000);
    try {
      const current = await api.get(namespace, name);
      if (!current) {
        const created = await api.create({
          metadata: { name, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds: durationSeconds,
            acquireTime: nowIso,
            renewTime: nowIso,
            leaseTransitions: 0,
          },
        });
        this.observe(created);
        return true;
      }
      this.observe(current);
      const holder = current.spec.holderIdentity ?? "";
      const mine = holder === identity;
      const expired = this.clock.now() - this.observedAt >= this.leaseMs;
      if (holder !== "" && !mine && !expired) return false;
      const next: Lease = {
        metadata: current.metadata,
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: mine ? (current.spec.acquireTime ?? nowIso) : nowIso,
          renewTime: nowIso,
          leaseTransitions: (current.spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
        },
      };
      this.observe(await api.replace(next));
      return true;
    } catch (err) {
      const conflict = err instanceof KubeApiError && err.conflict;
      const log = conflict ? this.o.logger.debug : this.o.logger.warn;
      log.call(this.o.logger, "leader election attempt failed", {
        lease: this.leaseRef(),
        error: (err as Error).message,
      });
      return false;
    }
  }

  /** Records the lease; the expiry clock restarts whenever holder or renewTime changes. */
  private observe(lease: Lease): void {
    const prev = this.observed;
    if (
      !prev ||
      prev.spec.holderIdentity !== lease.spec.holderIdentity ||
      prev.spec.renewTime !== lease.spec.renewTime
    ) {
      this.observedAt = this.clock.now();
    }
    this.observed = lease;
  }

  /** Gives the lease up (holder cleared, 1 s duration), so that a standby need not wait. */
  private async release(): Promise<void> {
    const lease = this.observed;
    if (!lease || lease.spec.holderIdentity !== this.o.identity) return;
    try {
      await this.o.api.replace({
        metadata: lease.metadata,
        spec: {
          ...lease.spec,
          holderIdentity: null,
          leaseDurationSeconds: 1,
          renewTime: this.now().toISOString(),
        },
      });
      this.o.logger.info("released the leader lease", { lease: this.leaseRef() });
    } catch (err) {
      this.o.logger.warn("releasing the leader lease failed; a standby takes over when it expires", {
        lease: this.leaseRef(),
        error: (err as Error).message,
      });
    }
  }

  private leaseRef(): string {
    return keyOf(this.o.namespace, this.o.name);
  }
}
