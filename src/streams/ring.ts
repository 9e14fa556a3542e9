/** A bound on a ring's bytes as well as its items: the newest item is always kept. */
export interface RingByteBound<T> {
  maxBytes: number;
  /** The (approximate) bytes of one item; called once per push and once per drop. */
  sizeOf: (item: T) => number;
}

/**
 * A bounded ring buffer: the newest `capacity` items (and, with a byte bound, no more than
 * `maxBytes` of them, but at least the newest one), amortised O(1) append.
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
    this.items = new Array<T | undefined>(cap);
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
    if (this.count < this.cap) {
      this.items[(this.start + this.count) % this.cap] = item;
      this.count++;
    } else {
      if (bound) this.held -= bound.sizeOf(this.items[this.start] as T);
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.cap;
    }
    if (bound) while (this.held > bound.maxBytes && this.count > 1) this.dropOldest(bound);
  }

  private dropOldest(bound: RingByteBound<T>): void {
    this.held -= bound.sizeOf(this.items[this.start] as T);
    this.items[this.start] = undefined;
    this.start = (this.start + 1) % this.cap;
    this.count--;
  }

  /** The item `i` places from the oldest (0 = oldest); undefined when out of range. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.count) return undefined;
    return this.items[(this.start + i) % this.cap];
  }

  /** Changes the capacity, keeping the newest items. */
  resize(capacity: number): void {
    if (capacity === this.cap) return;
    const keep = this.toArray().slice(-capacity);
    this.cap = capacity;
    this.items = new Array<T | undefined>(capacity);
    this.start = 0;
    this.count = 0;
    this.held = 0;
    for (const item of keep) this.push(item);
  }

  /** Copies the items, oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.start + i) % this.cap] as T);
    return out;
  }
}
