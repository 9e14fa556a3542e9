/** A bounded ring buffer: the newest `capacity` items, O(1) append. */
export class RingBuffer<T> {
  private items: (T | undefined)[];
  private start = 0;
  private count = 0;

  constructor(private cap: number) {
    if (!Number.isInteger(cap) || cap < 1)
      throw new RangeError(`ring capacity ${cap} must be a whole number >= 1`);
    this.items = new Array<T | undefined>(cap);
  }

  /** Number of items held. */
  get size(): number {
    return this.count;
  }

  /** Largest number of items held. */
  get capacity(): number {
    return this.cap;
  }

  /** Appends, dropping the oldest item when full. */
  push(item: T): void {
    if (this.count < this.cap) {
      this.items[(this.start + this.count) % this.cap] = item;
      this.count++;
      return;
    }
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.cap;
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
    for (const item of keep) this.push(item);
  }

  /** Copies the items, oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.start + i) % this.cap] as T);
    return out;
  }
}
