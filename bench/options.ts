import { parseRunOptions, type RunFlags, type RunOptions } from "../src/operator/options.js";

/** `berth run` options for an in-process operator in a benchmark: quiet, no resync, short stops. */
export function benchRunOptions(
  flags: Pick<RunFlags, "dir" | "stateDir" | "portRange"> & Partial<RunFlags>,
): RunOptions {
  return parseRunOptions(
    {
      http: "127.0.0.1:0",
      concurrency: "16",
      publishAddress: "127.0.0.1",
      networkPool: "10.213.0.0/16",
      networkSize: "26",
      stopTimeout: "1s",
      resync: "1h",
      allowHostPath: [],
      logLevel: "error",
      logFormat: "logfmt",
      ...flags,
    },
    {},
  );
}
