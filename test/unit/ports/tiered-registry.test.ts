import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { registerCacheMetrics } from "../../../src/cache/metrics.js";
import type { RedisPortRegistry } from "../../../src/ports/redis-registry.js";
import { TieredPortRegistry } from "../../../src/ports/tiered-registry.js";
import type { PortEntry, PortOwner } from "../../../src/ports/registry.js";
import { FilePortRegistry } from "../../../src/ports/registry.js";
import { nopLogger } from "../../../src/util/logger.js";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "berth-unit-tiered-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Stands in for Redis: a registry of its own that can be switched off. */
class FakeRemote {
  down = false;
  constructor(readonly store: FilePortRegistry) {}
  private check(): void {
    if (this.down) throw new Error("Connection is closed.");
  }
  claim(owner: PortOwner, port: number) {
    this.check();
    return this.store.claim(owner, port);
  }
  claimEntry(e: PortEntry) {
    this.check();
    return this.store.claim(e.owner, e.port);
  }
  release(m: Parameters<FilePortRegistry["release"]>[0]) {
    this.check();
    return this.store.release(m);
  }
  lookup(o: PortOwner) {
    this.check();
    return this.store.lookup(o);
  }
  holderOf(p: number, proto: "TCP" | "UDP") {
    this.check();
    return this.store.holderOf(p, proto);
  }
  entries() {
    this.check();
    return this.store.entries();
  }
}

class Backend {
  up = true;
  private readonly listeners = new Set<(up: boolean) => void>();
  onChange(l: (up: boolean) => void): () => void {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  }
  set(up: boolean, remote: FakeRemote): void {
    this.up = up;
    remote.down = !up;
    for (const l of this.listeners) l(up);
  }
}

const owner = (instance: string, project: string): PortOwner => ({
  instance,
  project,
  container: "web",
  portName: "http",
  protocol: "TCP",
});

async function setup(instance = "i1") {
  const remote = new FakeRemote(await FilePortRegistry.open(tmp()));
  const local = await FilePortRegistry.open(tmp());
  const backend = new Backend();
  const lost: PortEntry[] = [];
  const tiered = new TieredPortRegistry({
    remote: remote as unknown as RedisPortRegistry,
    local,
    backend,
    instance,
    logger: nopLogger,
    metrics: registerCacheMetrics(new Registry()),
  });
  tiered.onLost((e) => lost.push(e));
  await tiered.reconcile();
  return { remote, local, backend, tiered, lost };
}

describe("TieredPortRegistry", () => {
  it("writes claims through to Redis and the state directory", async () => {
    const { remote, local, tiered } = await setup();
    const r = await tiered.claim(owner("i1", "default/a"), 27000);
    expect(r.ok).toBe(true);
    expect((await remote.store.lookup(owner("i1", "default/a")))?.port).toBe(27000);
    expect((await local.lookup(owner("i1", "default/a")))?.port).toBe(27000);
    // Another instance's claim on the port is refused by Redis.
    const other = await tiered.claim(owner("i2", "default/b"), 27000);
    expect(other.ok).toBe(false);
  });

  it("falls back to L3 while Redis is down, avoiding ports last seen claimed by others", async () => {
    const { remote, backend, tiered } = await setup();
    await remote.store.claim(owner("i2", "default/x"), 27001);
    await tiered.entries(); // snapshot of Redis
    backend.set(false, remote);
    const refused = await tiered.claim(owner("i1", "default/a"), 27001);
    expect(refused.ok).toBe(false);
    expect((await tiered.claim(owner("i1", "default/a"), 27002)).ok).toBe(true);
    expect((await tiered.entries()).map((e) => e.port)).toEqual([27001, 27002]);
    expect(await remote.store.lookup(owner("i1", "default/a"))).toBeUndefined();
    // Redis returns: the outage claim is pushed.
    backend.set(true, remote);
    await tiered.reconcile();
    expect((await remote.store.lookup(owner("i1", "default/a")))?.port).toBe(27002);
  });

  it("drops an outage claim that another instance won meanwhile, never assigning the port twice", async () => {
    const { remote, local, backend, tiered, lost } = await setup();
    backend.set(false, remote);
    expect((await tiered.claim(owner("i1", "default/a"), 27003)).ok).toBe(true);
    await remote.store.claim(owner("i2", "default/b"), 27003); // the other instance, on Redis
    backend.set(true, remote);
    await tiered.reconcile();
    expect((await remote.store.holderOf(27003, "TCP"))?.owner.instance).toBe("i2");
    expect(await local.lookup(owner("i1", "default/a"))).toBeUndefined();
    expect(lost.map((e) => e.owner.project)).toEqual(["default/a"]);
  });

  it("replays releases made during an outage and adopts its own Redis claims missing from L3", async () => {
    const { remote, local, backend, tiered } = await setup();
    await tiered.claim(owner("i1", "default/a"), 27004);
    backend.set(false, remote);
    await tiered.release(owner("i1", "default/a"));
    await remote.store.claim(owner("i1", "default/c"), 27005); // e.g. a lost state directory
    backend.set(true, remote);
    await tiered.reconcile();
    expect(await remote.store.lookup(owner("i1", "default/a"))).toBeUndefined();
    expect((await local.lookup(owner("i1", "default/c")))?.port).toBe(27005);
  });
});
