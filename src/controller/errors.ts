/**
 * Thrown by a reconciler when retrying cannot help (for example a spec that can never be
 * satisfied until the user edits it). The controller records it and does not retry the key; the
 * next change of the key's desired state enqueues it again. Wrap the underlying error in `cause`.
 */
export class TerminalError extends Error {
  override readonly name = "TerminalError";

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** True if `err` is a {@link TerminalError}, or wraps one anywhere along its `cause` chain. */
export function isTerminalError(err: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = err; e instanceof Error && !seen.has(e); e = e.cause) {
    if (e instanceof TerminalError) return true;
    seen.add(e);
  }
  return false;
}
