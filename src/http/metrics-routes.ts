/** `GET /api/v1/projects/{ns}/{name}/metrics`: the kept resource samples of a project's containers. */
import { keyOf } from "../api/index.js";
import type { SeriesPoint } from "../streams/metrics-sampler.js";
import { HttpError } from "./errors.js";
import { sendJson } from "./respond.js";
import type { Router } from "./router.js";
import { API_PREFIX } from "./wire.js";

/** What the metrics routes read. */
export interface MetricsApi {
  known(projectKey: string): boolean;
  series(projectKey: string): Array<{ container: string; points: SeriesPoint[] }>;
}

/** Registers the metrics route; answers from memory, never calls Docker. */
export function registerMetricsRoutes(router: Router, api: MetricsApi): void {
  router.on("GET", `${API_PREFIX}/projects/:namespace/:name/metrics`, ({ res, params }) => {
    const key = keyOf(params["namespace"] ?? "", params["name"] ?? "");
    if (!api.known(key)) {
      throw new HttpError(404, "NotFound", `project ${key} not found`, "list projects with: berth get -A");
    }
    sendJson(res, 200, { items: api.series(key) });
  });
}
