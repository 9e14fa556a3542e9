import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { L1Cache } from "../../../src/cache/l1.js";
import { registerCacheMetrics } from "../../../src/cache/metrics.js";
import { StatusCache, overlayObserved } from "../../../src/cache/status-cache.js";
import type { StatusEntry, StatusReader } from "../../../src/api/status.js";
import type { ContainerChangeListener, ObservedContainer } from "../../../src/runtime/observed.js";

class FakeStore implements StatusReader {
  readonly entries = new Map<string, StatusEntry>();
  reads = 0;
  private readonly listeners = new Set<(key: string) => void>();
  get(key: string): StatusEntry | undefined {
    this.reads++;
    return this.entries.get(key);
  }
  watch(listener: (key: string) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
  set(key: string, entry: StatusEntry): void {
    this.entries.set(key, entry);
    for (const l of this.listeners) l(key);
  }
}

class FakeObserved {
  synced = true;
  readonly containers = new Map<string, ObservedContainer[]>();
  private readonly listeners = new Set<ContainerChangeListener>();
  byProject(key: string): readonly ObservedContainer[] {
    return this.containers.get(key) ?? [];
  }
  onChange(listener: ContainerChangeListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
  change(key: string, list: ObservedContainer[]): void {
    this.containers.set(key, list);
    for (const l of this.listeners) l(key, list[0]?.id ?? "");
  }
}

function container(
  state: ObservedContainer["state"],
  extra: Partial<ObservedContainer> = {},
): ObservedContainer {
  return {
    id: "c1",
    name: "berth-default-shop-web",
    labels: {},
    projectKey: "default/shop",
    containerName: "web",
    specHash: "h",
    state,
    running: state === "running",
    exitCode: state === "running" ? 0 : 137,
    oomKilled: false,
    error: "",
    health: "none",
    restartCount: 0,
    startedAt: undefined,
    finishedAt: undefined,
    image: "img",
    imageID: "sha256:1",
    restartPolicy: "no",
    portBindings: [],
    ports: [],
    ...extra,
  };
}

const running: StatusEntry = {
  status: {
    phase: "Running",
    containers: [{ name: "web", containerID: "c1", state: "running", health: "healthy", restartCount: 0 }],
  },
  transitions: [],
};

function setup(ttlMs = 60_000) {
  const store = new FakeStore();
  const observed = new FakeObserved();
  const registry = new Registry();
  const metrics = registerCacheMetrics(registry);
  const cache = new StatusCache({ store, observed, metrics, ttlMs });
  return { store, observed, cache, registry };
}

async function counter(registry: Registry, result: string): Promise<number> {
  const m = await registry.getSingleMetric("berth_cache_requests_total")?.get();
  return m?.values.find((v) => v.labels.tier === "l1" && v.labels.result === result)?.value ?? 0;
}

describe("StatusCache", () => {
  it("serves repeated reads from L1 and counts hits and misses", async () => {
    const { store, observed, cache, registry } = setup();
    store.set("default/shop", running);
    observed.containers.set("default/shop", [container("running")]);
    for (let i = 0; i < 10; i++) expect(cache.get("default/shop")?.status.phase).toBe("Running");
    expect(store.reads).toBe(1);
    expect(await counter(registry, "hit")).toBe(9);
    expect(await counter(registry, "miss")).toBe(1);
  });

  it("shows a container killed behind Berth's back at once, before any status write or TTL", () => {
    const { store, observed, cache } = setup();
    store.set("default/shop", running);
    observed.containers.set("default/shop", [container("running")]);
    expect(cache.get("default/shop")?.status.containers?.[0]?.state).toBe("running");
    observed.change("default/shop", [container("exited")]);
    const next = cache.get("default/shop");
    expect(next?.status.containers?.[0]?.state).toBe("exited");
    // The store itself still holds the reconciled status: the overlay came from the observer.
    expect(store.entries.get("default/shop")?.status.containers?.[0]?.state).toBe("running");
  });

  it("is invalidated by status writes and by pub/sub (invalidate, clear)", () => {
    const { store, cache } = setup();
    store.set("default/shop", running);
    expect(cache.get("default/shop")?.status.phase).toBe("Running");
    store.set("default/shop", { ...running, status: { ...running.status, phase: "Degraded" } });
    expect(cache.get("default/shop")?.status.phase).toBe("Degraded");
    const reads = store.reads;
    cache.invalidate("default/shop");
    cache.get("default/shop");
    cache.clear();
    cache.get("default/shop");
    expect(store.reads).toBe(reads + 2);
  });

  it("does not overlay before the observer has synced, and caches absent entries", () => {
    const { store, observed, cache } = setup();
    observed.synced = false;
    store.set("default/shop", running);
    expect(cache.get("default/shop")).toBe(running);
    expect(cache.get("default/none")).toBeUndefined();
    expect(cache.get("default/none")).toBeUndefined();
  });
});

describe("overlayObserved", () => {
  it("keeps probe health when Docker has no health check, and marks vanished containers missing", () => {
    expect(overlayObserved(running, [container("running")])).toBe(running);
    const gone = overlayObserved(running, []);
    expect(gone.status.containers?.[0]?.state).toBe("missing");
    const unhealthy = overlayObserved(running, [
      container("running", { health: "unhealthy", restartCount: 2 }),
    ]);
    expect(unhealthy.status.containers?.[0]).toMatchObject({ health: "unhealthy", restartCount: 2 });
  });
});

describe("L1Cache", () => {
  it("expires entries after the TTL", async () => {
    const l1 = new L1Cache<string, number>({ ttlMs: 20 });
    let loads = 0;
    const load = (): number => ++loads;
    expect(l1.get("k", load)).toBe(1);
    expect(l1.get("k", load)).toBe(1);
    await new Promise((r) => setTimeout(r, 40));
    expect(l1.get("k", load)).toBe(2);
  });
});
