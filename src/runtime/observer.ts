/**
 * The Docker observer: the one writer of the in-memory cache of Berth's containers (STYLE.md rule
 * 4). It lists and inspects the managed containers, then follows `/events`; when the stream ends or
 * breaks it reconnects with backoff and relists, because dockerd keeps only 256 events and anything
 * missed while disconnected would otherwise leave the cache silently stale.
 */
import type { DockerClient } from "./client.js";
import type { DockerEvent, DockerEventStream } from "./docker-streams.js";
import { Semaphore } from "./async.js";
import { NotFoundError } from "./errors.js";
import { MANAGED_LABEL_FILTER } from "./labels.js";
import type { Logger } from "../util/logger.js";
import { nopLogger } from "../util/logger.js";
import type { ContainerChangeListener, ObservedContainer, ObservedContainers } from "./observed.js";
import { sameObservation, toObservedContainer } from "./observed.js";
import { sleep, untilAborted } from "../util/abort.js";
import { Backoff } from "../util/backoff.js";

export type {
  ContainerChangeListener,
  ContainerState,
  HealthState,
  ObservedContainer,
  ObservedContainers,
  ObservedPort,
} from "./observed.js";

/** Options of {@link DockerObserver}. */
export interface DockerObserverOptions {
  client: DockerClient;
  logger?: Logger;
  /** First reconnect delay, default 100 ms; doubles per failed attempt. */
  minBackoffMs?: number;
  /** Longest reconnect delay, default 5 000 ms. */
  maxBackoffMs?: number;
  /** Inspects in flight at once during a (re)list, default 8. */
  inspectConcurrency?: number;
}

/** Container event actions that can change what is cached; others (exec_*, attach, top...) are ignored. */
const REFRESH_ACTIONS = new Set([
  "create",
  "start",
  "restart",
  "stop",
  "die",
  "oom",
  "pause",
  "unpause",
  "rename",
  "update",
  "health_status",
  "destroy",
]);

/** A connection that stayed up this long resets the reconnect backoff. */
const STABLE_CONNECTION_MS = 10_000;

interface Inflight {
  dirty: boolean;
  /** A destroy event arrived: the container is gone, so no further inspect is needed. */
  gone: boolean;
  done: Promise<void>;
}

/**
 * Keeps the cache of managed containers current. Start it once with {@link start}; read it through
 * the {@link ObservedContainers} methods from anywhere. Inspects are coalesced per container: an
 * event for a container already being inspected schedules one more inspect after the current one,
 * so the last applied state always comes from an inspect that started after the last event.
 */
export class DockerObserver implements ObservedContainers {
  private readonly client: DockerClient;
  private readonly log: Logger;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly containers = new Map<string, ObservedContainer>();
  private readonly projects = new Map<string, Set<string>>();
  private readonly listeners = new Set<ContainerChangeListener>();
  private readonly inflight = new Map<string, Inflight>();
  private readonly inspects: Semaphore;
  private connection: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private isSynced = false;
  private isConnected = false;
  private resolveSynced!: () => void;
  private readonly syncedPromise = new Promise<void>((resolve) => (this.resolveSynced = resolve));

  constructor(options: DockerObserverOptions) {
    this.client = options.client;
    this.log = options.logger ?? nopLogger;
    this.minBackoffMs = options.minBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000;
    this.inspects = new Semaphore(options.inspectConcurrency ?? 8);
  }

  get synced(): boolean {
    return this.isSynced;
  }

  /** True while the events stream is open and the relist after opening it has completed. */
  get connected(): boolean {
    return this.isConnected;
  }

  /**
   * Starts listing and following events in the background; returns at once. Runs until `signal`
   * aborts, retrying forever with backoff (100 ms .. 5 s). Call once.
   */
  start(signal: AbortSignal): void {
    if (this.loop !== undefined) throw new Error("DockerObserver.start called twice");
    this.loop = this.run(signal).catch((err: unknown) =>
      this.log.error("docker observer stopped unexpectedly", { error: String(err) }),
    );
  }

  /** Resolves when the loop started by {@link start} has ended and no inspect is in flight. */
  stopped(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  /** Drops the current events connection; the observer reconnects and relists. For operators and tests. */
  reconnect(reason = "reconnect requested"): void {
    this.connection?.abort(new Error(reason));
  }

  waitSynced(signal?: AbortSignal): Promise<void> {
    if (this.isSynced || signal === undefined) return this.syncedPromise;
    return untilAborted(this.syncedPromise, signal);
  }

  get(id: string): ObservedContainer | undefined {
    return this.containers.get(id);
  }

  byProject(projectKey: string): readonly ObservedContainer[] {
    const ids = this.projects.get(projectKey);
    if (ids === undefined) return [];
    const out: ObservedContainer[] = [];
    for (const id of ids) {
      const c = this.containers.get(id);
      if (c !== undefined) out.push(c);
    }
    return out;
  }

  all(): readonly ObservedContainer[] {
    return [...this.containers.values()];
  }

  onChange(listener: ContainerChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async run(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff({ baseMs: this.minBackoffMs, maxMs: this.maxBackoffMs });
    while (!signal.aborted) {
      const opened = Date.now();
      try {
        await this.connectOnce(signal);
      } catch (err) {
        if (signal.aborted) break;
        this.log.warn("docker events connection failed; reconnecting and relisting", {
          endpoint: this.client.endpoint,
          error: err instanceof Error ? err.message : String(err),
          retryInMs: backoff.peek(),
        });
      }
      if (signal.aborted) break;
      if (Date.now() - opened >= STABLE_CONNECTION_MS) backoff.reset();
      await sleep(backoff.next(), signal);
    }
    await Promise.allSettled([...this.inflight.values()].map((e) => e.done));
  }

  /** Subscribes, relists, then applies events until the stream ends. */
  private async connectOnce(signal: AbortSignal): Promise<void> {
    const conn = new AbortController();
    this.connection = conn;
    const onAbort = (): void => conn.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    let stream: DockerEventStream | undefined;
    try {
      // Subscribe before listing: events from here on are buffered in the stream, so nothing
      // between the list and the subscription is lost, whatever the clocks say.
      stream = await this.client.streamEvents({
        filters: { type: ["container"], label: [MANAGED_LABEL_FILTER] },
        signal: conn.signal,
      });
      await this.relist(conn.signal, signal);
      this.isConnected = true;
      if (!this.isSynced) {
        this.isSynced = true;
        this.resolveSynced();
      }
      this.log.debug("docker observer synced", { containers: this.containers.size });
      for await (const event of stream) this.handleEvent(event, signal);
      if (!conn.signal.aborted) throw new Error("the daemon closed the events stream");
      if (!signal.aborted) throw conn.signal.reason;
    } finally {
      this.isConnected = false;
      signal.removeEventListener("abort", onAbort);
      stream?.close();
      conn.abort();
    }
  }

  private async relist(conn: AbortSignal, lifetime: AbortSignal): Promise<void> {
    const listed = await this.client.listManagedContainers({ signal: conn });
    const present = new Set(listed.map((c) => c.id));
    const refreshes: Promise<void>[] = [];
    for (const id of present) refreshes.push(this.refresh(id, lifetime));
    for (const id of [...this.containers.keys()]) {
      if (!present.has(id)) this.forget(id);
    }
    await Promise.all(refreshes);
    conn.throwIfAborted();
  }

  private handleEvent(event: DockerEvent, lifetime: AbortSignal): void {
    if (event.type !== "container") return;
    const action = event.action.split(":")[0] ?? "";
    if (!REFRESH_ACTIONS.has(action)) return;
    if (action === "destroy") this.forget(event.id);
    else void this.refresh(event.id, lifetime);
  }

  /** Drops a container that is gone; if an inspect is in flight, the container goes when it ends. */
  private forget(id: string): void {
    const entry = this.inflight.get(id);
    if (entry !== undefined) entry.gone = true;
    else this.remove(id);
  }

  /** Inspects `id` (coalesced) and applies the result. Never rejects. */
  private refresh(id: string, lifetime: AbortSignal): Promise<void> {
    const existing = this.inflight.get(id);
    if (existing !== undefined) {
      existing.dirty = true;
      return existing.done;
    }
    const entry: Inflight = { dirty: true, gone: false, done: Promise.resolve() };
    entry.done = this.inspectLoop(id, entry, lifetime).finally(() => this.inflight.delete(id));
    this.inflight.set(id, entry);
    return entry.done;
  }

  private async inspectLoop(id: string, entry: Inflight, lifetime: AbortSignal): Promise<void> {
    while (entry.dirty && !lifetime.aborted) {
      entry.dirty = false;
      try {
        const info = await this.inspects.run(() =>
          entry.gone ? Promise.resolve(undefined) : this.client.inspectContainer(id, { signal: lifetime }),
        );
        if (entry.gone || info === undefined) {
          this.remove(id);
          return;
        }
        this.apply(toObservedContainer(info));
      } catch (err) {
        if (err instanceof NotFoundError) {
          this.remove(id); // gone for good: container IDs are never reused
          return;
        }
        if (lifetime.aborted) return;
        // The cache may now be stale for this container: start over with a fresh list.
        this.log.warn("inspect of a managed container failed; relisting", {
          containerId: id,
          error: err instanceof Error ? err.message : String(err),
        });
        this.reconnect("inspect failed");
        return;
      }
    }
  }

  private apply(next: ObservedContainer): void {
    const prev = this.containers.get(next.id);
    if (prev !== undefined && sameObservation(prev, next)) return;
    this.containers.set(next.id, next);
    if (next.projectKey !== undefined) {
      let ids = this.projects.get(next.projectKey);
      if (ids === undefined) this.projects.set(next.projectKey, (ids = new Set()));
      ids.add(next.id);
    }
    this.notify(next);
  }

  private remove(id: string): void {
    const prev = this.containers.get(id);
    if (prev === undefined) return;
    this.containers.delete(id);
    if (prev.projectKey !== undefined) {
      const ids = this.projects.get(prev.projectKey);
      ids?.delete(id);
      if (ids?.size === 0) this.projects.delete(prev.projectKey);
    }
    this.notify(prev);
  }

  private notify(c: ObservedContainer): void {
    if (c.projectKey === undefined) return;
    for (const listener of this.listeners) {
      try {
        listener(c.projectKey, c.id);
      } catch (err) {
        this.log.error("container change listener threw", { error: String(err), containerId: c.id });
      }
    }
  }
}
