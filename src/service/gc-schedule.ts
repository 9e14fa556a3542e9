/** The daemon's periodic garbage collection (`--gc-interval`). */
import type { Logger } from "../util/logger.js";
import { collectGarbage, type GcDeps } from "./gc.js";

/**
 * Collects every `intervalMs` (first after one interval) until `signal` aborts; returns at once.
 * A collection never overlaps the previous one; a failed one is logged and the next one runs on
 * time. Each collection that removes something is logged at info with what it reclaimed.
 */
export function startPeriodicGc(
  deps: GcDeps,
  options: { intervalMs: number; keep: number },
  logger: Logger,
  signal: AbortSignal,
): void {
  if (options.intervalMs <= 0) return;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    collectGarbage(deps, { keep: options.keep, signal })
      .then((r) => {
        if (r.removed.length > 0 || r.failed.length > 0)
          logger.info("garbage collection", {
            removedImages: r.removed.length,
            reclaimedBytes: r.reclaimedBytes,
            failed: r.failed.length,
            unclaimedVolumes: r.unclaimedVolumes.length,
          });
      })
      .catch((err: unknown) => {
        if (!signal.aborted) logger.warn("garbage collection failed; retrying at the next interval", { err });
      })
      .finally(() => (running = false));
  }, options.intervalMs);
  timer.unref();
  signal.addEventListener("abort", () => clearInterval(timer), { once: true });
}
