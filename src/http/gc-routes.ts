/**
 * `POST /api/v1/gc?dryRun=true&keep=N`: one garbage collection (see service/gc.ts), answering
 * its report. A write: it needs the token and passes the cross-site checks.
 */
import { collectGarbage, type GcDeps, type GcReport } from "../service/gc.js";
import { HttpError } from "./errors.js";
import { parseBool } from "./params.js";
import { sendJson } from "./respond.js";
import type { Router } from "./router.js";
import { API_PREFIX } from "./wire.js";

/** The path of the GC endpoint. */
export const GC_ROUTE = `${API_PREFIX}/gc`;

/** Registers the GC route; `run` defaults to collecting with `deps`. */
export function registerGcRoutes(
  router: Router,
  run: (o: { dryRun: boolean; keep?: number; signal: AbortSignal }) => Promise<GcReport>,
): void {
  router.on("POST", GC_ROUTE, async ({ res, url, signal }) => {
    const q = url.searchParams;
    const dryRun = parseBool(q.get("dryRun"));
    if (dryRun === undefined)
      throw new HttpError(400, "BadRequest", "invalid query parameter dryRun: expected true or false");
    const keepText = q.get("keep");
    const keep = keepText === null ? undefined : Number(keepText);
    if (keep !== undefined && (!Number.isInteger(keep) || keep < 0 || keep > 1000)) {
      throw new HttpError(
        400,
        "BadRequest",
        `invalid query parameter keep=${keepText}: expected a whole number from 0 to 1000`,
      );
    }
    sendJson(res, 200, await run({ dryRun, ...(keep !== undefined ? { keep } : {}), signal }));
  });
}

/** The default `run` of {@link registerGcRoutes}: a collection with `deps`. */
export function gcRunner(deps: GcDeps): Parameters<typeof registerGcRoutes>[1] {
  return (o) => collectGarbage(deps, o);
}
