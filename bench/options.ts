import {
  parseRunOptions,
  RUN_FLAG_DEFAULTS,
  type RunFlags,
  type RunOptions,
} from "../src/operator/options.js";

/**
 * `berth run` options for an in-process operator in a benchmark: quiet, no resync, short stops.
 * `BENCH_DOCKER_CONCURRENCY` sets `--docker-concurrency` (to measure its default).
 */
export function benchRunOptions(
  flags: Pick<RunFlags, "dir" | "stateDir" | "portRange"> & Partial<RunFlags>,
): RunOptions {
  return parseRunOptions(
    {
      ...RUN_FLAG_DEFAULTS,
      http: "127.0.0.1:0",
      stopTimeout: "1s",
      resync: "1h",
      logLevel: "error",
      ...(process.env["BENCH_DOCKER_CONCURRENCY"]
        ? { dockerConcurrency: process.env["BENCH_DOCKER_CONCURRENCY"] }
        : {}),
      ...flags,
    },
    {},
  );
}
