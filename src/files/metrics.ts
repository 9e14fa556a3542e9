import { Gauge, type Registry } from "prom-client";
import { SPEC_WATCH_PROBLEM_REASONS, type SpecWatchCondition } from "../api/index.js";

/**
 * Registers `berth_spec_watch_problems{reason}`: 1 while the spec watcher has a problem of that
 * reason (see {@link SpecWatchCondition}), else 0; read from `problems` when the Registry is
 * scraped. Call once per Registry.
 */
export function registerSpecWatchMetrics(
  registry: Registry,
  problems: () => readonly SpecWatchCondition[],
): void {
  new Gauge({
    name: "berth_spec_watch_problems",
    help: "Whether part of the spec directory is not watched, by reason (TreeTooLarge, Unreadable)",
    labelNames: ["reason"] as const,
    registers: [registry],
    collect() {
      const now = problems();
      for (const reason of SPEC_WATCH_PROBLEM_REASONS) {
        this.set({ reason }, now.some((p) => p.reason === reason) ? 1 : 0);
      }
    },
  });
}
