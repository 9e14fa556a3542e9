/** Flags `berth run` and `berth mcp` share: both run the operator in this process. */
import { Option, type Command } from "commander";
import { RUN_FLAG_DEFAULTS } from "../operator/options.js";

/** `--log-level` and `--log-format`, with the command's default level. */
export function logOptions(defaultLevel: "info" | "warn", levelHelp = "log level"): [Option, Option] {
  return [
    new Option("--log-level <level>", levelHelp)
      .choices(["debug", "info", "warn", "error"])
      .default(defaultLevel),
    new Option("--log-format <format>", "log format")
      .choices(["logfmt", "json"])
      .default(RUN_FLAG_DEFAULTS.logFormat),
  ];
}

/**
 * The operator's `--token`: the program's global `--token` (for the client commands) takes the
 * flag before the command sees it, so it is read from the globals when the command has none.
 */
export function withOperatorToken<F extends { token?: string | undefined }>(flags: F, cmd: Command): F {
  const token = flags.token ?? cmd.optsWithGlobals<{ token?: string }>().token;
  return token !== undefined ? { ...flags, token } : flags;
}
