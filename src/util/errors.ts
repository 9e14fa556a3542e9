/**
 * The base of the errors Berth expects and can explain: the message says what failed and where,
 * `hint` (when there is one) what to do. The CLI prints such an error as one message and its
 * hint, with no stack trace unless `--log-level debug`; anything else is a bug and shows its stack.
 */
export class BerthError extends Error {
  override name = "BerthError";
  /** What to do about it, for a person; undefined when the message already says. */
  readonly hint: string | undefined;

  constructor(message?: string, options: { hint?: string | undefined; cause?: unknown } = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.hint = options.hint;
  }
}
