import type { ParseResult } from "../api/index.js";

/** What one path has seen: the mark of its last read start and last hand-over, and more. */
interface PathMarks {
  read: number;
  handed: number;
  /** The read of the path started last, until it has been applied or dropped. */
  inflight?: Promise<void>;
  /** A hand-over waiting for a read: the parse a read of the same digest takes instead of parsing. */
  offered?: { digest: string; parsed: ParseResult };
}

/**
 * Orders the file source's reads of each spec file against the spec writer's hand-overs, by
 * marks: a counter that every read start advances. A read that started at or before the mark of
 * the last hand-over of its path is older than that write, and its result is dropped; a write
 * whose mark is older than a read's start waits for that read instead of overwriting it.
 * Synchronous bookkeeping for one owner; paths are as the desired store names them.
 */
export class ReadMarks {
  private epoch = 0;
  private readonly paths = new Map<string, PathMarks>();

  /** The current mark: reads that start later get a larger one. */
  mark(): number {
    return this.epoch;
  }

  /** Records that a read of `path` starts now; returns its mark. */
  readStarts(path: string): number {
    this.entry(path).read = ++this.epoch;
    return this.epoch;
  }

  /** Tracks `done`, the read of `path` started last, until it settles. */
  track(path: string, done: Promise<void>): void {
    const entry = this.entry(path);
    entry.inflight = done;
    void done.then(() => {
      if (entry.inflight === done) entry.inflight = undefined;
    });
  }

  /** Whether a read that started with `mark` is older than the last hand-over of `path`. */
  stale(path: string, mark: number): boolean {
    return mark <= (this.paths.get(path)?.handed ?? 0);
  }

  /** Whether a read of `path` started after `mark`. */
  readSince(path: string, mark: number): boolean {
    return (this.paths.get(path)?.read ?? 0) > mark;
  }

  /** Resolves once the read of `path` under way now (if any) has been applied or dropped. */
  async settled(path: string): Promise<void> {
    await this.paths.get(path)?.inflight;
  }

  /** Records a hand-over of `path` made with `mark`. */
  handed(path: string, mark: number): void {
    const entry = this.entry(path);
    entry.handed = Math.max(entry.handed, mark);
  }

  /** Offers a parse to the reads of `path` that find content of `digest`, until withdrawn. */
  offer(path: string, offered: { digest: string; parsed: ParseResult }): void {
    this.entry(path).offered = offered;
  }

  /** Withdraws `offered`, unless another offer replaced it. */
  withdraw(path: string, offered: { digest: string; parsed: ParseResult }): void {
    const entry = this.paths.get(path);
    if (entry?.offered === offered) entry.offered = undefined;
  }

  /** The parse offered for content of `digest` at `path`, if any. */
  offered(path: string, digest: string): ParseResult | undefined {
    const offered = this.paths.get(path)?.offered;
    return offered?.digest === digest ? offered.parsed : undefined;
  }

  /** Forgets `path` (it was deleted). */
  forget(path: string): void {
    this.paths.delete(path);
  }

  private entry(path: string): PathMarks {
    let entry = this.paths.get(path);
    if (!entry) this.paths.set(path, (entry = { read: 0, handed: 0 }));
    return entry;
  }
}
