/** Default of the `concurrency` of {@link OrderedReads}: a few more than libuv's four threads. */
export const READ_CONCURRENCY = 8;

/**
 * Runs asynchronous reads keyed by path, at most `concurrency` at once, and hands each result to
 * its `apply` callback only if no later read of the same path was started, and the path was not
 * cancelled, in the meantime: a slow earlier read never overwrites what a later one found. A read
 * overtaken while it waits for a slot is not started at all. Not thread-safe in any sense beyond
 * the event loop; one owner calls it.
 */
export class OrderedReads<T> {
  private readonly latest = new Map<string, number>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly waiting: Array<() => void> = [];
  private seq = 0;
  private active = 0;
  private stopped = false;

  constructor(private readonly concurrency = READ_CONCURRENCY) {}

  /**
   * Starts a read of `path`. The returned promise settles once the read is done and `apply` has
   * run (or was skipped); it rejects only if `read` or `apply` throws.
   */
  run(path: string, read: () => Promise<T>, apply: (result: T) => void): Promise<void> {
    const id = ++this.seq;
    this.latest.set(path, id);
    const current = () => !this.stopped && this.latest.get(path) === id;
    const done = this.inSlot(current, read).then((result) => {
      if (result === undefined || !current()) return;
      this.latest.delete(path);
      apply(result.value);
    });
    const tracked = done.then(
      () => {},
      () => {},
    );
    this.inflight.add(tracked);
    void tracked.then(() => this.inflight.delete(tracked));
    return done;
  }

  /** Drops the results of the reads of `path` started so far. */
  cancel(path: string): void {
    this.latest.delete(path);
  }

  /** Resolves once every read started before this call has settled. Never rejects. */
  async settled(): Promise<void> {
    await Promise.all([...this.inflight]);
  }

  /** Drops every pending result; later reads are not applied either. */
  stop(): void {
    this.stopped = true;
    this.latest.clear();
  }

  private async inSlot(current: () => boolean, read: () => Promise<T>): Promise<{ value: T } | undefined> {
    while (this.active >= this.concurrency) await new Promise<void>((r) => this.waiting.push(r));
    if (!current()) {
      this.waiting.shift()?.();
      return undefined;
    }
    this.active++;
    try {
      return { value: await read() };
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
