/**
 * Named locks held within one process: `run(names, fn)` runs `fn` while holding every lock in
 * `names`. Locks are taken in sorted order, so two callers that lock overlapping sets never
 * deadlock; a caller that nests `run` calls must take all the locks of one kind before the next
 * kind (the spec writer takes project keys first, then files). Waiters are served in FIFO order.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `fn` holding all `names`; releases them when it settles (also when it throws). */
  async run<T>(names: readonly string[], fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(names)].sort();
    const releases: Array<() => void> = [];
    try {
      for (const name of sorted) releases.push(await this.acquire(name));
      return await fn();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  /** Number of names locked or waited for; for tests. */
  get size(): number {
    return this.tails.size;
  }

  private async acquire(name: string): Promise<() => void> {
    const prev = this.tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const tail = prev.then(() => held);
    this.tails.set(name, tail);
    await prev;
    return () => {
      release();
      if (this.tails.get(name) === tail) this.tails.delete(name);
    };
  }
}
