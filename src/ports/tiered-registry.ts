/**
 * The port registry across tiers: Redis (L2) is the authority shared by all instances, the state
 * directory (L3) holds this instance's own claims, written through on every change. While Redis is
 * down, claims and releases go to L3 only (avoiding every port last seen claimed in Redis); when it
 * returns, L3 is reconciled into Redis with atomic claims, so no port is ever assigned twice: a
 * claim made during the outage that another instance won meanwhile is dropped and reported.
 */
import type {
  ClaimResult,
  FilePortRegistry,
  OwnerPredicate,
  PortEntry,
  PortOwner,
  PortRegistry,
} from "./registry.js";
import { ownerKey, portKey } from "./registry.js";
import type { Logger } from "../util/logger.js";
import { L1Cache, L1_TTL_MS } from "../cache/l1.js";
import type { CacheMetrics, CacheTier } from "../cache/metrics.js";
import type { BackendState } from "../cache/redis.js";
import type { RedisPortRegistry } from "./redis-registry.js";
import { reconcileIntoRedis } from "./sync.js";
import type { Protocol } from "../api/index.js";

/** Options of {@link TieredPortRegistry}. */
export interface TieredPortRegistryOptions {
  remote: RedisPortRegistry;
  local: FilePortRegistry;
  backend: BackendState;
  /** This operator's instance id; owners it claims carry it. */
  instance: string;
  logger: Logger;
  metrics: CacheMetrics;
  /** Called after a claim changes Redis (e.g. to publish an invalidation). */
  onChanged?: () => void;
}

/** A claim this instance made while Redis was down that another instance held in Redis. */
export type LostClaimListener = (lost: PortEntry, holder: PortEntry) => void;

/**
 * PortRegistry over L2 + L3. No method waits on Redis longer than its command timeout: a failed or
 * skipped Redis call falls back to L3 (plus the last known Redis snapshot for other instances'
 * ports). Safe to call concurrently; mutations wait for a running reconciliation to finish.
 */
export class TieredPortRegistry implements PortRegistry {
  private readonly snapshot: L1Cache<"all", Promise<PortEntry[]>>;
  private lastKnown: PortEntry[] = [];
  private readonly releasedWhileDown = new Map<string, PortOwner>();
  private readonly lostListeners = new Set<LostClaimListener>();
  private dirty = true;
  private syncing: Promise<void> | undefined;
  private readonly off: () => void;

  constructor(private readonly o: TieredPortRegistryOptions) {
    this.snapshot = new L1Cache({ ttlMs: L1_TTL_MS.registry, max: 1, metrics: o.metrics });
    this.off = o.backend.onChange((up) => {
      if (up) void this.reconcile().catch(() => undefined);
      else this.snapshot.clear();
    });
  }

  /** Calls `listener` for every outage claim that lost to another instance; returns unsubscribe. */
  onLost(listener: LostClaimListener): () => void {
    this.lostListeners.add(listener);
    return () => void this.lostListeners.delete(listener);
  }

  /** Drops the cached Redis snapshot (another instance changed the registry). */
  invalidate(): void {
    this.snapshot.clear();
  }

  /** Stops following the backend state. */
  close(): void {
    this.off();
  }

  /**
   * Reconciles L3 into Redis (claims made while it was down, releases, adoption of this instance's
   * Redis claims missing from L3). Runs once at a time; resolves when done; rejects (leaving the
   * registry marked for another attempt) when Redis fails midway. Called on every reconnect.
   */
  reconcile(): Promise<void> {
    this.syncing ??= this.runReconcile().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async runReconcile(): Promise<void> {
    const { remote, local, instance, logger } = this.o;
    try {
      const result = await reconcileIntoRedis({ remote, local, instance, released: this.releasedWhileDown });
      this.releasedWhileDown.clear();
      this.dirty = false;
      this.snapshot.clear();
      this.o.onChanged?.();
      if (result.pushed + result.adopted + result.lost.length > 0) {
        logger.info("port registry reconciled with redis", {
          pushed: result.pushed,
          adopted: result.adopted,
          lost: result.lost.length,
        });
      }
      for (const { entry, holder } of result.lost) {
        logger.warn("a port claimed while redis was down is held by another instance; reallocating", {
          project: entry.owner.project,
          port: entry.port,
          holder: holder.owner.instance ?? "",
        });
        for (const l of [...this.lostListeners]) l(entry, holder);
      }
    } catch (err) {
      this.dirty = true;
      logger.warn("port registry reconciliation with redis failed; retrying when redis answers", {
        error: err instanceof Error ? err.message : String(err),
      });
      throw err;
    }
  }

  async claim(owner: PortOwner, port: number): Promise<ClaimResult> {
    const viaRedis = await this.claimRemote(owner, port);
    if (viaRedis !== undefined) {
      if (viaRedis.ok) await this.writeLocal(viaRedis.entry);
      return viaRedis;
    }
    const known = this.lastKnown.find(
      (e) => e.port === port && e.owner.protocol === owner.protocol && e.owner.instance !== this.o.instance,
    );
    if (known && ownerKey(known.owner) !== ownerKey(owner)) return { ok: false, holder: known };
    this.dirty = true;
    return this.o.local.claim(owner, port);
  }

  /** The claim through Redis, or undefined when Redis is down or failed (the caller uses L3). */
  private async claimRemote(owner: PortOwner, port: number): Promise<ClaimResult | undefined> {
    if (!(await this.remoteReady())) return undefined;
    try {
      const result = await this.o.remote.claim(owner, port);
      this.count("redis", "hit");
      this.snapshot.clear();
      if (result.ok && result.created) this.o.onChanged?.();
      return result;
    } catch (err) {
      if (!this.isRedisFailure(err)) throw err;
      return undefined;
    }
  }

  async release(match: PortOwner | OwnerPredicate): Promise<PortEntry[]> {
    if (await this.remoteReady()) {
      try {
        const remote = await this.o.remote.release(match);
        const local = await this.o.local.release(match);
        if (remote.length > 0) {
          this.snapshot.clear();
          this.o.onChanged?.();
        }
        return mergeEntries(remote, local);
      } catch (err) {
        if (!this.isRedisFailure(err)) throw err;
      }
    }
    const released = await this.o.local.release(match);
    for (const e of released) this.releasedWhileDown.set(ownerKey(e.owner), e.owner);
    if (typeof match !== "function") this.releasedWhileDown.set(ownerKey(match), match);
    this.dirty = true;
    return released;
  }

  /** This instance's owners are served from L3 (written through on every claim); others from Redis. */
  async lookup(owner: PortOwner): Promise<PortEntry | undefined> {
    if (owner.instance === this.o.instance) {
      const e = await this.o.local.lookup(owner);
      this.count("state-dir", e ? "hit" : "miss");
      return e;
    }
    return this.read(
      () => this.o.remote.lookup(owner),
      () => this.o.local.lookup(owner),
    );
  }

  holderOf(port: number, protocol: Protocol): Promise<PortEntry | undefined> {
    return this.read(
      () => this.o.remote.holderOf(port, protocol),
      async () =>
        (await this.o.local.holderOf(port, protocol)) ??
        this.lastKnown.find((e) => e.port === port && e.owner.protocol === protocol),
    );
  }

  /** All claims: the Redis registry (cached in L1 until a change), or L3 plus the last Redis snapshot. */
  entries(): Promise<PortEntry[]> {
    return this.read(
      () =>
        this.snapshot.get("all", () => {
          const p = this.o.remote.entries().then((list) => (this.lastKnown = list));
          p.catch(() => this.snapshot.clear());
          return p;
        }),
      async () => {
        const own = await this.o.local.entries();
        const ownPorts = new Set(own.map((e) => portKey(e.port, e.owner.protocol)));
        const others = this.lastKnown.filter(
          (e) => e.owner.instance !== this.o.instance && !ownPorts.has(portKey(e.port, e.owner.protocol)),
        );
        return [...own, ...others].sort(
          (a, b) => a.owner.protocol.localeCompare(b.owner.protocol) || a.port - b.port,
        );
      },
      false,
    );
  }

  /** True when Redis may be used now: connected and reconciled (waiting for a running reconciliation). */
  private async remoteReady(): Promise<boolean> {
    if (!this.o.backend.up) return false;
    if (this.syncing) await this.syncing.catch(() => undefined);
    else if (this.dirty) await this.reconcile().catch(() => undefined);
    return this.o.backend.up && !this.dirty;
  }

  private async read<T>(remote: () => Promise<T>, local: () => Promise<T>, count = true): Promise<T> {
    if (this.o.backend.up && !this.dirty) {
      try {
        const v = await remote();
        if (count) this.count("redis", v === undefined ? "miss" : "hit");
        return v;
      } catch (err) {
        if (!this.isRedisFailure(err)) throw err;
      }
    }
    const v = await local();
    this.count("state-dir", v === undefined ? "miss" : "hit");
    return v;
  }

  /** Mirrors a claim granted by Redis into L3, replacing a stale local holder of the same port. */
  private async writeLocal(entry: PortEntry): Promise<void> {
    const r = await this.o.local.claim(entry.owner, entry.port);
    if (r.ok) return;
    await this.o.local.release(r.holder.owner);
    await this.o.local.claim(entry.owner, entry.port);
  }

  private isRedisFailure(err: unknown): boolean {
    if (!(err instanceof Error) || err instanceof RangeError) return false;
    this.count("redis", "error");
    this.dirty = true;
    return true;
  }

  private count(tier: CacheTier, result: "hit" | "miss" | "error"): void {
    this.o.metrics.requests.inc({ tier, result });
  }
}

function mergeEntries(a: PortEntry[], b: PortEntry[]): PortEntry[] {
  const byOwner = new Map<string, PortEntry>();
  for (const e of [...b, ...a]) byOwner.set(ownerKey(e.owner), e);
  return [...byOwner.values()];
}
