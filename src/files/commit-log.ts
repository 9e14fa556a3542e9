/**
 * When the spec writer last wrote each file, as a sequence number, so that it can tell whether a
 * read it made earlier is still current. Bounded: past 4096 files it forgets conservatively (as
 * if every file had been written just then). Synchronous; one owner.
 */
export class CommitLog {
  private seq = 0;
  /** Every commit not in `last` has a sequence number <= floor. */
  private floor = 0;
  private readonly last = new Map<string, number>();

  /** The current sequence number, to pass to {@link unchangedSince} later. */
  now(): number {
    return this.seq;
  }

  /** Records a write of `path` that has just ended. */
  mark(path: string): void {
    if (this.last.size >= 4096) {
      this.last.clear();
      this.floor = this.seq;
    }
    this.last.set(path, ++this.seq);
  }

  /** True when no write of `path` ended after `now()` returned `since`. */
  unchangedSince(path: string, since: number): boolean {
    return (this.last.get(path) ?? this.floor) <= since;
  }
}
