import type { DaemonClient, WriteCallOptions, WriteCallResult } from "./client.js";
import { parseTimeout } from "./duration.js";
import type { CliIo } from "./io.js";
import { resolveName } from "./names.js";
import { ProgressLine } from "./progress.js";
import { reportWrite } from "./write-output.js";
import type { WriteResult } from "../api/index.js";

/** The single-project writes: `berth delete|start|stop|restart NAME`. */
export type WriteCommand = "delete" | "start" | "stop" | "restart";

/** Options shared by the single-project writes, parsed once by the command line. */
export interface WriteCommandOptions {
  namespace?: string;
  wait?: boolean;
  timeout?: string;
  dryRun?: boolean;
}

const VERBS: Record<WriteCommand, string> = {
  delete: "deleted",
  start: "started",
  stop: "stopped",
  restart: "restarted",
};

/**
 * Runs one single-project write against the daemon and prints the outcome; with `--wait`,
 * streams progress to stderr and fails (exit 1) unless the project converges in time.
 */
export async function runWrite(
  command: WriteCommand,
  client: DaemonClient,
  name: string,
  opts: WriteCommandOptions,
  io: CliIo,
  tty: boolean,
): Promise<number> {
  const ref = resolveName(name, opts.namespace);
  const progress = new ProgressLine(io, tty);
  const call: WriteCallOptions = {
    dryRun: opts.dryRun === true,
    wait: opts.wait === true,
    timeoutMs: parseTimeout(opts.timeout ?? "60s"),
    onProgress: (m) => progress.update(m),
  };
  let response: WriteCallResult;
  switch (command) {
    case "delete":
      response = await client.delete(ref.namespace, ref.name, call);
      break;
    case "start":
      response = await client.setState(ref.namespace, ref.name, "Running", call);
      break;
    case "stop":
      response = await client.setState(ref.namespace, ref.name, "Stopped", call);
      break;
    case "restart":
      response = await client.restart(ref.namespace, ref.name, call);
      break;
  }
  const verb = (r: WriteResult) =>
    r.action === "unchanged"
      ? `unchanged (already ${command === "stop" ? "Stopped" : "Running"})`
      : VERBS[command];
  return reportWrite(response, verb, io, progress);
}
