/**
 * The tests' one polling helper: calls `fn` every `intervalMs` until it returns a truthy value,
 * which it resolves with, or until `timeoutMs` have passed, when it rejects naming `what` and the
 * last error `fn` threw. Errors `fn` throws before then count as "not yet".
 */
export async function eventually<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  what = "condition",
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
