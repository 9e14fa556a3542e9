/**
 * Debouncing and batching of file changes for one watch rule: changes are collected until the
 * tree has been quiet for `quietMs` (or `maxWaitMs` after the first one, so a tree that never
 * settles is still synced), then handed over as one batch. Batches of one rule never overlap:
 * changes that arrive while a batch is being applied wait for it and form the next batch.
 */

/** Timing of a {@link ChangeBatcher}. */
export interface BatchTiming {
  /** Quiet time after the last change before the batch is flushed. */
  quietMs: number;
  /** Longest wait after the first change of a batch. */
  maxWaitMs: number;
  /**
   * Quiet time after a change that announces more (a new directory, whose files the watcher
   * reports only once it has read it).
   */
  settleMs: number;
  /** Paths per batch; more are flushed as a following batch. */
  maxPaths: number;
}

/** Editors write in bursts (a save of many files, a rename dance); 100 ms of quiet ends one. */
export const DEFAULT_BATCH_TIMING: BatchTiming = {
  quietMs: 100,
  maxWaitMs: 2000,
  settleMs: 1000,
  maxPaths: 10_000,
};

/** Applies one batch of relative paths; its rejection is the caller's to report, never thrown here. */
export type ApplyBatch = (paths: readonly string[]) => Promise<void>;

/**
 * Collects relative paths and applies them in batches through `apply`, one batch at a time.
 * {@link add} is synchronous and cheap; nothing blocks. {@link close} drops what is pending.
 */
export class ChangeBatcher {
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private firstAt = 0;
  private settling = false;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly apply: ApplyBatch,
    private readonly timing: BatchTiming = DEFAULT_BATCH_TIMING,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records a changed path (added, changed or removed; the batch's apply looks at what is there).
   * `settle`: more changes are coming (a new directory), so wait `settleMs` rather than `quietMs`.
   */
  add(path: string, settle = false): void {
    if (this.closed) return;
    if (this.pending.size === 0) this.firstAt = this.now();
    this.pending.add(path);
    if (settle) this.settling = true;
    this.schedule();
  }

  /** Paths waiting for the next batch. */
  get size(): number {
    return this.pending.size;
  }

  /** Resolves when no batch is being applied (for tests and orderly shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops: pending paths are dropped, a running batch finishes on its own. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  private schedule(): void {
    if (this.running) return; // the running batch schedules the next one when it ends
    clearTimeout(this.timer);
    const waited = this.now() - this.firstAt;
    const quiet = this.settling ? this.timing.settleMs : this.timing.quietMs;
    const delay = Math.max(0, Math.min(quiet, this.timing.maxWaitMs - waited));
    this.timer = setTimeout(() => this.flush(), delay);
    this.timer.unref();
  }

  private flush(): void {
    this.timer = undefined;
    this.settling = false;
    if (this.closed || this.pending.size === 0) return;
    const all = [...this.pending];
    const batch = all.slice(0, this.timing.maxPaths);
    this.pending = new Set(all.slice(this.timing.maxPaths));
    if (this.pending.size > 0) this.firstAt = this.now();
    this.running = this.apply(batch)
      .catch(() => {})
      .finally(() => {
        this.running = undefined;
        if (!this.closed && this.pending.size > 0) this.schedule();
      });
  }
}
