import { Counter, Gauge, type Registry } from "prom-client";

/** Cache tier label values. */
export type CacheTier = "l1" | "redis" | "state-dir";

/** Outcome label values of `berth_cache_requests_total`. */
export type CacheResult = "hit" | "miss" | "error";

/** The cache metrics, registered on one operator's registry. */
export interface CacheMetrics {
  /** `berth_cache_requests_total{tier,result}`: reads per tier and outcome. */
  readonly requests: Counter<"tier" | "result">;
  /** `berth_cache_backend_up{tier}`: 1 while a tier's backend answers. */
  readonly backendUp: Gauge<"tier">;
}

/**
 * Registers the cache metrics on `registry` (never the global one). Call once per registry; a
 * second call throws prom-client's duplicate-metric error.
 */
export function registerCacheMetrics(registry: Registry): CacheMetrics {
  const requests = new Counter({
    name: "berth_cache_requests_total",
    help: "Cache reads by tier (l1, redis, state-dir) and result (hit, miss, error).",
    labelNames: ["tier", "result"],
    registers: [registry],
  });
  const backendUp = new Gauge({
    name: "berth_cache_backend_up",
    help: "1 while the cache tier's backend answers, 0 while it is down (Berth then degrades to l1 + state-dir).",
    labelNames: ["tier"],
    registers: [registry],
  });
  backendUp.set({ tier: "l1" }, 1);
  backendUp.set({ tier: "state-dir" }, 1);
  return { requests, backendUp };
}
