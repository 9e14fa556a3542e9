import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  followInvalidations,
  publishInvalidation,
  type InvalidationMessage,
} from "../../../src/cache/invalidation.js";
import { registerCacheMetrics } from "../../../src/cache/metrics.js";
import { RedisPortRegistry } from "../../../src/ports/redis-registry.js";
import { connectRedis, type RedisBackend } from "../../../src/cache/redis.js";
import { readStatusSnapshot, statusKey } from "../../../src/cache/status-mirror.js";
import { nopLogger } from "../../../src/util/logger.js";
import { eventually } from "../operator/daemon.js";
import { OwnRedis } from "./redis-helpers.js";

const owner = (instance: string, project: string) =>
  ({ instance, project, container: "web", portName: "http", protocol: "TCP" }) as const;

describe("Redis backend: invalidation, resync and fail-fast commands", () => {
  const redis = new OwnRedis(6397);
  let a: RedisBackend;
  let b: RedisBackend;
  const received: InvalidationMessage[] = [];
  let resyncs = 0;

  beforeAll(async () => {
    await redis.start();
    a = connectRedis({ url: redis.url, logger: nopLogger, metrics: registerCacheMetrics(new Registry()) });
    b = connectRedis({ url: redis.url, logger: nopLogger, metrics: registerCacheMetrics(new Registry()) });
    expect(await a.waitUp(2000)).toBe(true);
    expect(await b.waitUp(2000)).toBe(true);
    followInvalidations(
      b.subscriber,
      "b",
      { onMessage: (m) => received.push(m), onResync: () => resyncs++ },
      nopLogger,
    );
    // Let the subscription settle.
    await eventually(
      async () => (await a.client.pubsub("NUMSUB", "berth:invalidate"))[1] === 1,
      5000,
      "subscribed",
    );
  });

  afterAll(async () => {
    a?.close();
    b?.close();
    await redis.stop();
  });

  it("delivers other instances' invalidations and ignores its own", async () => {
    await publishInvalidation(a.client, { from: "b", kind: "status", keys: ["default/own"] });
    await publishInvalidation(a.client, { from: "a", kind: "status", keys: ["default/x"] });
    await eventually(() => received.length >= 1, 15_000, "message");
    await new Promise((r) => setTimeout(r, 200)); // would the own message arrive too?
    expect(received).toEqual([{ from: "a", kind: "status", keys: ["default/x"] }]);
  });

  it("claims atomically: refusal names the holder, a re-claim moves the owner, release is idempotent", async () => {
    const reg = new RedisPortRegistry(a.client);
    const first = await reg.claim(owner("a", "default/p"), 27900);
    expect(first).toMatchObject({ ok: true, created: true });
    const again = await reg.claim(owner("a", "default/p"), 27900);
    expect(again).toMatchObject({ ok: true, created: false });
    const refused = await reg.claim(owner("b", "default/q"), 27900);
    expect(refused.ok ? undefined : refused.holder.owner.instance).toBe("a");
    const moved = await reg.claim(owner("a", "default/p"), 27901);
    expect(moved.ok && moved.replaced?.port).toBe(27900);
    expect(await reg.holderOf(27900, "TCP")).toBeUndefined();
    expect((await reg.release(owner("a", "default/p"))).map((e) => e.port)).toEqual([27901]);
    expect(await reg.release(owner("a", "default/p"))).toEqual([]);
  });

  it("reads status snapshots written by another process", async () => {
    await a.client.set(
      statusKey("default/s"),
      JSON.stringify({ status: { phase: "Running" }, transitions: [] }),
    );
    expect((await readStatusSnapshot(b.client, "default/s"))?.status.phase).toBe("Running");
    expect(await readStatusSnapshot(b.client, "default/none")).toBeUndefined();
  });

  it("fails fast while Redis is down, and resyncs (flushes L1) when the subscriber reconnects", async () => {
    await redis.stop();
    await eventually(() => !a.up, 5000, "down");
    const reg = new RedisPortRegistry(a.client);
    const t = performance.now();
    await expect(reg.entries()).rejects.toThrow();
    expect(performance.now() - t).toBeLessThan(1000);
    await redis.start();
    await eventually(() => a.up && resyncs >= 1, 15_000, "reconnected and resynced");
  });
});
