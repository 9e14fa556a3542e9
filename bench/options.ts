import {
  parseRunOptions,
  RUN_FLAG_DEFAULTS,
  type RunFlags,
  type RunOptions,
} from "../src/operator/options.js";

/** `berth run` options for an in-process operator in a benchmark: quiet, no resync, short stops. */
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
      ...flags,
    },
    {},
  );
}
