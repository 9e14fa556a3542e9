/**
 * Cross-instance invalidation over Redis pub/sub, on the backend's dedicated subscriber
 * connection. Messages may be missed while that connection is down, so every reconnect after the
 * first is reported as a "resync": holders of L1 caches must then drop everything.
 */
import type { Redis } from "ioredis";
import type { Logger } from "../util/logger.js";
import { KEY_PREFIX } from "./redis.js";

/** The pub/sub channel Berth instances publish invalidations on. */
export const INVALIDATION_CHANNEL = `${KEY_PREFIX}invalidate`;

/** One invalidation: what kind of data changed and, for status, which projects. */
export interface InvalidationMessage {
  /** Instance id of the publisher. */
  from: string;
  kind: "status" | "ports";
  /** Project keys (`namespace/name`) for `status`; empty for `ports`. */
  keys: string[];
}

/** Receives invalidations from other instances, and resyncs after a reconnect. */
export interface InvalidationHandler {
  onMessage(msg: InvalidationMessage): void;
  onResync(): void;
}

/**
 * Subscribes `subscriber` to the invalidation channel and dispatches messages from other instances
 * to `handler` (its own are ignored). Returns at once; the subscription follows reconnects. Returns
 * the function that unsubscribes.
 */
export function followInvalidations(
  subscriber: Redis,
  instance: string,
  handler: InvalidationHandler,
  logger: Logger,
): () => void {
  // Already connected: the next "ready" is a reconnect.
  let connectedOnce = subscriber.status === "ready";
  const onReady = (): void => {
    if (connectedOnce) handler.onResync();
    connectedOnce = true;
  };
  const onMessage = (channel: string, text: string): void => {
    if (channel !== INVALIDATION_CHANNEL) return;
    const msg = parseMessage(text);
    if (msg === undefined) {
      logger.debug("ignored a malformed invalidation message", { channel });
      return;
    }
    if (msg.from !== instance) handler.onMessage(msg);
  };
  subscriber.on("ready", onReady);
  subscriber.on("message", onMessage);
  subscriber.subscribe(INVALIDATION_CHANNEL).catch(() => undefined);
  return () => {
    subscriber.off("ready", onReady);
    subscriber.off("message", onMessage);
    subscriber.unsubscribe(INVALIDATION_CHANNEL).catch(() => undefined);
  };
}

/** Publishes an invalidation; resolves false (never rejects) when Redis is unreachable. */
export async function publishInvalidation(client: Redis, msg: InvalidationMessage): Promise<boolean> {
  try {
    await client.publish(INVALIDATION_CHANNEL, JSON.stringify(msg));
    return true;
  } catch {
    return false;
  }
}

function parseMessage(text: string): InvalidationMessage | undefined {
  try {
    const v = JSON.parse(text) as Partial<InvalidationMessage>;
    if (typeof v.from !== "string" || (v.kind !== "status" && v.kind !== "ports")) return undefined;
    const keys = Array.isArray(v.keys) ? v.keys.filter((k): k is string => typeof k === "string") : [];
    return { from: v.from, kind: v.kind, keys };
  } catch {
    return undefined;
  }
}
