/**
 * The status read path of the API, CLI and MCP tools: L1 in front of the status store, with each
 * container's live state from the Docker observer laid over the last reconciled status. A Docker
 * event invalidates the project's entry at once, so a container killed behind Berth's back shows
 * as exited on the next read, before the reconciler has run and without waiting for the TTL.
 */
import type { ObservedContainer, ObservedContainers } from "../runtime/observed.js";
import { L1Cache, L1_TTL_MS } from "./l1.js";
import type { CacheMetrics } from "./metrics.js";
import type { ContainerStatus, StatusEntry, StatusReader } from "../api/index.js";

/** What {@link StatusCache} reads from. */
export interface StatusCacheDeps {
  /** The status store (L3-backed, written by the reconciler). */
  store: StatusReader;
  /** Live container state; only consulted once `synced`. */
  observed: Pick<ObservedContainers, "byProject" | "onChange" | "synced">;
  metrics?: CacheMetrics;
  /** TTL of a cached status, ms; default {@link L1_TTL_MS}.status. */
  ttlMs?: number;
}

/**
 * A {@link StatusReader} served from L1. Reads are synchronous and never touch Docker or Redis.
 * Invalidated by status writes and observer changes (subscribed in the constructor; call `close`
 * to unsubscribe) and by anyone calling `invalidate`/`clear` (e.g. Redis pub/sub).
 */
export class StatusCache implements StatusReader {
  private readonly l1: L1Cache<string, StatusEntry | undefined>;
  private readonly offs: Array<() => void>;

  constructor(private readonly deps: StatusCacheDeps) {
    this.l1 = new L1Cache({
      ttlMs: deps.ttlMs ?? L1_TTL_MS.status,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
    });
    this.offs = [
      deps.store.watch((key) => this.l1.invalidate(key)),
      deps.observed.onChange((key) => this.l1.invalidate(key)),
    ];
  }

  get(key: string): StatusEntry | undefined {
    return this.l1.get(key, (k) => this.load(k));
  }

  watch(listener: (key: string) => void): () => void {
    return this.deps.store.watch(listener);
  }

  /** Drops one project's cached status. */
  invalidate(key: string): void {
    this.l1.invalidate(key);
  }

  /** Drops every cached status. */
  clear(): void {
    this.l1.clear();
  }

  /** Unsubscribes from the store and the observer. */
  close(): void {
    for (const off of this.offs) off();
  }

  private load(key: string): StatusEntry | undefined {
    const entry = this.deps.store.get(key);
    if (entry === undefined || !this.deps.observed.synced) return entry;
    return overlayObserved(entry, this.deps.observed.byProject(key));
  }
}

/**
 * The entry with each container's state, health, restart count and id replaced by what Docker
 * reports now; a container the status names but Docker no longer has shows as `missing`. Returns
 * `entry` itself when nothing differs. Pure.
 */
export function overlayObserved(entry: StatusEntry, observed: readonly ObservedContainer[]): StatusEntry {
  const list = entry.status.containers;
  if (list === undefined || list.length === 0) return entry;
  let changed = false;
  const containers = list.map((s): ContainerStatus => {
    const live = observed.find((c) => c.containerName === s.name);
    const next = live ? fromObserved(s, live) : s.containerID ? { ...s, state: "missing" } : s;
    if (next !== s) changed = true;
    return next;
  });
  if (!changed) return entry;
  return Object.freeze({ ...entry, status: Object.freeze({ ...entry.status, containers }) });
}

function fromObserved(s: ContainerStatus, c: ObservedContainer): ContainerStatus {
  // Probe-based health (httpGet/tcpSocket) is Berth's own; only Docker's exec health replaces it.
  const health = c.health !== "none" ? c.health : (s.health ?? "none");
  if (
    s.containerID === c.id &&
    s.state === c.state &&
    (s.health ?? "none") === health &&
    (s.restartCount ?? 0) === c.restartCount
  ) {
    return s;
  }
  return { ...s, containerID: c.id, state: c.state, health, restartCount: c.restartCount };
}
