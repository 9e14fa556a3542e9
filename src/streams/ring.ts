/** A bound on a ring's bytes as well as its items: the newest item is always kept. */
export interface RingByteBound<T> {
  maxBytes: number;
  /** The (approximate) bytes of one item; called once per push and once per drop. */
  sizeOf: (item: T) => number;
}

/** Slots a ring starts with; its storage doubles up to its capacity as items arrive. */
const INITIAL_SLOTS = 16;

/**
 * A bounded ring buffer: the newest `capacity` items (and, with a byte bound, no more than
 * `maxBytes` of them, but at least the newest one), amortised O(1) append. Storage grows with the
 * items held, so a large capacity that is never filled (a quiet container's log ring) costs little.
 */
export class RingBuffer<T> {
  private items: (T | undefined)[];
  private start = 0;
  private count = 0;
  private held = 0;

  constructor(
    private cap: number,
    private readonly bound?: RingByteBound<T>,
  ) {
    if (!Number.isInteger(cap) || cap < 1)
      throw new RangeError(`ring capacity ${cap} must be a whole number >= 1`);
    this.items = new Array<T | undefined>(Math.min(cap, INITIAL_SLOTS));
  }

  /** Bytes held, by the bound's `sizeOf`; 0 without a byte bound. */
  get bytes(): number {
    return this.held;
  }

  /** Number of items held. */
  get size(): number {
    return this.count;
  }

  /** Largest number of items held. */
  get capacity(): number {
    return this.cap;
  }

  /** Appends, dropping the oldest items when full (by count, or by bytes with a byte bound). */
  push(item: T): void {
    const bound = this.bound;
    if (bound) this.held += bound.sizeOf(item);
    if (this.count === this.items.length && this.count < this.cap) this.grow();
    const slots = this.items.length;
    if (this.count < slots) {
      this.items[(this.start + this.count) % slots] = item;
      this.count++;
    } else {
      if (bound) this.held -= bound.sizeOf(this.items[this.start] as T);
      this.items[this.start] = item;
      this.start = (this.start + 1) % slots;
    }
    if (bound) while (this.held > bound.maxBytes && this.count > 1) this.dropOldest();
  }

  /** Doubles the storage (at most to the capacity), oldest item first. */
  private grow(): void {
    const next = new Array<T | undefined>(Math.min(this.cap, Math.max(INITIAL_SLOTS, this.items.length * 2)));
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.start + i) % this.items.length];
    this.items = next;
    this.start = 0;
  }

  private dropOldest(): void {
    if (this.bound) this.held -= this.bound.sizeOf(this.items[this.start] as T);
    this.items[this.start] = undefined;
    this.start = (this.start + 1) % this.items.length;
    this.count--;
  }

  /** Drops the oldest items while `stale(item)` holds for them; the newest item is always kept. */
  dropOldestWhile(stale: (item: T) => boolean): void {
    while (this.count > 1 && stale(this.items[this.start] as T)) this.dropOldest();
  }

  /** The item `i` places from the oldest (0 = oldest); undefined when out of range. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.items[(this.start + i) % this.items.length];
  }

  /** Changes the capacity (and, given `maxBytes`, the byte bound), keeping the newest items. */
  resize(capacity: number, maxBytes?: number): void {
    const bound = this.bound;
    if (bound && maxBytes !== undefined && maxBytes !== bound.maxBytes) {
      bound.maxBytes = maxBytes;
      if (capacity === this.cap) while (this.held > maxBytes && this.count > 1) this.dropOldest();
    }
    if (capacity === this.cap) return;
    const keep = this.toArray().slice(-capacity);
    this.cap = capacity;
    this.items = new Array<T | undefined>(Math.min(capacity, Math.max(INITIAL_SLOTS, keep.length)));
    this.start = 0;
    this.count = 0;
    this.held = 0;
    for (const item of keep) this.push(item);
  }

  /** Copies the items, oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.start + i) % this.items.length] as T);
    return out;
  }
}
