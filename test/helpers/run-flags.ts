import type { RunFlags } from "../../src/operator/options.js";

/** `berth run`'s flags with commander's defaults and no --dir, for tests of option parsing. */
export const RUN_FLAG_DEFAULTS: RunFlags = {
  http: "127.0.0.1:7420",
  concurrency: "16",
  portRange: "20000-29999",
  publishAddress: "127.0.0.1",
  networkPool: "10.213.0.0/16",
  networkSize: "26",
  stopTimeout: "5s",
  resync: "10m",
  allowHostPath: [],
  logLevel: "info",
  logFormat: "logfmt",
};
