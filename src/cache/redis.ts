/**
 * The L2 backend: one ioredis connection for commands and one for pub/sub, configured so that
 * nothing ever waits on a down Redis for more than about a second, with the backend's state
 * (up/down) logged once per change and exported as `berth_cache_backend_up{tier="redis"}`.
 */
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { Redis, type RedisOptions } from "ioredis";
import { backoffDelay } from "../util/backoff.js";
import type { Logger } from "../util/logger.js";
import type { CacheMetrics } from "./metrics.js";
import { BerthError } from "../util/errors.js";

/** Every key Berth writes to Redis starts with this prefix. */
export const KEY_PREFIX = "berth:";

/** Upper bound of one Redis command, in ms; a slower command fails and the caller falls back to L3. */
export const COMMAND_TIMEOUT_MS = 500;

/** Options of {@link connectRedis}. */
/** The up/down state of a Redis connection, for what falls back to L3 while it is down. */
export interface BackendState {
  readonly up: boolean;
  onChange(listener: (up: boolean) => void): () => void;
}

export interface RedisBackendOptions {
  /** `redis://host:port[/db]`. */
  url: string;
  logger: Logger;
  metrics: CacheMetrics;
  /** Command timeout in ms; default {@link COMMAND_TIMEOUT_MS}. */
  commandTimeoutMs?: number;
}

/** Called with `true` when the command connection becomes ready, `false` when it is lost. */
export type BackendListener = (up: boolean) => void;

/** A Redis URL Berth cannot use; the message names the flag and the expected form. */
export class RedisUrlError extends BerthError {
  override readonly name = "RedisUrlError";
}

/**
 * The shared Redis connections. `client` is for commands (no offline queue: a command issued while
 * disconnected fails at once), `subscriber` for pub/sub only. Both reconnect forever in the
 * background with capped backoff. Create with {@link connectRedis}; any caller may use it; call
 * `close` once at shutdown.
 */
export class RedisBackend {
  private readonly listeners = new Set<BackendListener>();
  private isUp = false;

  constructor(
    /** Connection for commands. */
    readonly client: Redis,
    /** Connection in subscriber mode (pub/sub only). */
    readonly subscriber: Redis,
    private readonly logger: Logger,
    private readonly metrics: CacheMetrics,
    private readonly where: string,
  ) {
    metrics.backendUp.set({ tier: "redis" }, 0);
    client.on("ready", () => this.setUp(true));
    client.on("close", () => this.setUp(false));
    client.on("end", () => this.setUp(false));
    // ioredis emits "error" for every failed reconnect; state changes are logged in setUp instead.
    client.on("error", () => undefined);
    subscriber.on("error", () => undefined);
  }

  /** True while the command connection is ready. Never blocks. */
  get up(): boolean {
    return this.isUp;
  }

  /** Calls `listener` on every up/down change; returns the unsubscribe function. */
  onChange(listener: BackendListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Resolves once the command connection is ready, or after `timeoutMs` (default 1 s) either way. */
  async waitUp(timeoutMs = 1000): Promise<boolean> {
    if (this.isUp) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(this.isUp);
      }, timeoutMs);
      const off = this.onChange((up) => {
        if (!up) return;
        clearTimeout(timer);
        off();
        resolve(true);
      });
    });
  }

  /** Closes both connections; pending commands fail. Idempotent. */
  close(): void {
    this.client.disconnect();
    this.subscriber.disconnect();
    this.setUp(false);
  }

  private setUp(up: boolean): void {
    if (up === this.isUp) return;
    this.isUp = up;
    this.metrics.backendUp.set({ tier: "redis" }, up ? 1 : 0);
    if (up)
      this.logger.info("redis is up; shared port registry and status snapshots in use", {
        redis: this.where,
      });
    else
      this.logger.warn("redis is down; continuing on memory and the state directory until it returns", {
        redis: this.where,
      });
    for (const l of [...this.listeners]) {
      try {
        l(up);
      } catch (err) {
        this.logger.error("redis state listener failed", { error: String(err) });
      }
    }
  }
}

/**
 * Opens the two connections to `url` and returns at once (connecting goes on in the background;
 * Berth starts whether or not Redis answers). Throws {@link RedisUrlError} for a malformed URL.
 */
export function connectRedis(options: RedisBackendOptions): RedisBackend {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new RedisUrlError(
      `--redis ${JSON.stringify(options.url)} is not a URL; use e.g. redis://127.0.0.1:6379`,
    );
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new RedisUrlError(`--redis ${JSON.stringify(options.url)} must start with redis:// or rediss://`);
  }
  const base: RedisOptions = {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS,
    connectTimeout: 1000,
    enableReadyCheck: true,
    retryStrategy: (times) => backoffDelay(Math.min(times, 6), { baseMs: 50, maxMs: 2000 }),
  };
  const client = new Redis(options.url, { ...base, connectionName: "berth" });
  // The subscriber must queue its SUBSCRIBE until connected; it never carries other commands.
  const subscriber = new Redis(options.url, {
    ...base,
    enableOfflineQueue: true,
    commandTimeout: undefined,
    connectionName: "berth-sub",
  });
  const where = `${url.hostname}:${url.port || "6379"}`;
  return new RedisBackend(client, subscriber, options.logger, options.metrics, where);
}

/**
 * This operator's identity in shared Redis state: the host name plus a hash of the watched
 * directory, so a restarted operator on the same directory is the same instance and two operators
 * on one host with different directories are not. Pure apart from reading the host name.
 */
export function instanceId(dir: string): string {
  return `${hostname()}:${createHash("sha256").update(dir).digest("hex").slice(0, 12)}`;
}
