import { Histogram, type Registry } from "prom-client";

/** The route label of a request that matched no route (never the raw path). */
export const UNMATCHED_ROUTE = "unmatched";

/** Records one finished HTTP request. */
export interface HttpRequestMetrics {
  /** `route` is a route template (`/api/v1/projects/:namespace/:name`) or {@link UNMATCHED_ROUTE}. */
  observe(route: string, method: string, code: number, seconds: number): void;
}

const NAME = "berth_http_request_duration_seconds";

/** Methods kept as label values; anything else is counted as "other" so labels stay bounded. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * Registers `berth_http_request_duration_seconds{route,method,code}` on `registry` (
 * per registry; a second call reuses the first's histogram). Streams (SSE, NDJSON waits) are observed when they end, so their durations are
 * the stream's lifetime.
 */
export function registerHttpRequestMetrics(registry: Registry): HttpRequestMetrics {
  const existing = registry.getSingleMetric(NAME) as Histogram<"route" | "method" | "code"> | undefined;
  const histogram =
    existing ??
    new Histogram({
      name: NAME,
      help: "HTTP requests by route template, method and status code, from arrival to the end of the response.",
      labelNames: ["route", "method", "code"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
      registers: [registry],
    });
  return {
    observe(route, method, code, seconds) {
      const m = METHODS.has(method) ? method : "other";
      histogram.observe({ route, method: m, code: String(code) }, seconds);
    },
  };
}
