/** Where a command writes; the real process streams in production, buffers in tests. */
import { BerthError } from "../util/errors.js";
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is a terminal (progress lines are then rewritten in place). */
  readonly errIsTTY?: boolean;
}

/** The process's stdout and stderr. */
export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  get errIsTTY() {
    return process.stderr.isTTY === true;
  },
};

/** Error the CLI reports as `berth: <message>` with the given exit code, without a stack. */
export class CliError extends BerthError {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode = 1,
    hint?: string,
  ) {
    super(message, { hint });
  }
}
