/** Containers used inside the work queue; not part of the public API. */

import type { Clock, Timer } from "../util/clock.js";
import { MAX_TIMER_DELAY_MS } from "../util/clock.js";

/** A first-in first-out queue with amortised O(1) push and shift. */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  /** Number of items waiting. */
  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head += 1;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/** A binary min-heap; `less(a, b)` is true when `a` must come out before `b`. */
export class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  /** The smallest item, without removing it. */
  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    this.items.push(item);
    this.siftUp(this.items.length - 1);
  }

  /** Removes and returns the smallest item, or undefined when empty. */
  pop(): T | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (top === undefined || last === undefined || this.items.length === 0) return top;
    this.items[0] = last;
    this.siftDown(0);
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }

  private siftUp(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(index: number): void {
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < this.items.length && this.before(left, smallest)) smallest = left;
      if (right < this.items.length && this.before(right, smallest)) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private before(i: number, j: number): boolean {
    return this.less(this.items[i] as T, this.items[j] as T);
  }

  private swap(i: number, j: number): void {
    const a = this.items[i] as T;
    this.items[i] = this.items[j] as T;
    this.items[j] = a;
  }
}

interface Delayed<P> {
  key: string;
  readyAt: number;
  payload: P;
  seq: number;
}

/**
 * Keys waiting for a deadline, served by a single timer armed for the earliest one. A key waits
 * at most once: scheduling it again keeps the earlier deadline and merges the payloads.
 */
export class DelayedKeys<P> {
  private readonly byKey = new Map<string, Delayed<P>>();
  private readonly heap = new MinHeap<Delayed<P>>(
    (a, b) => a.readyAt < b.readyAt || (a.readyAt === b.readyAt && a.seq < b.seq),
  );
  private nextSeq = 1;
  private timer: { handle: Timer; at: number } | undefined;

  /**
   * @param onReady called from the timer, once per key whose deadline has passed
   * @param merge combines the payload of a key already waiting with the payload of a new schedule
   */
  constructor(
    private readonly clock: Clock,
    private readonly onReady: (key: string, payload: P) => void,
    private readonly merge: (waiting: P, added: P) => P,
  ) {}

  /** Makes `key` ready at clock time `readyAt`, unless it already waits for an earlier deadline. */
  schedule(key: string, readyAt: number, payload: P): void {
    const existing = this.byKey.get(key);
    const merged = existing === undefined ? payload : this.merge(existing.payload, payload);
    if (existing !== undefined && existing.readyAt <= readyAt) {
      existing.payload = merged;
      return;
    }
    // A superseded entry stays in the heap and is skipped when it reaches the top.
    const entry: Delayed<P> = { key, readyAt, payload: merged, seq: this.nextSeq++ };
    this.byKey.set(key, entry);
    this.heap.push(entry);
    this.arm();
  }

  /** Drops every waiting key and cancels the timer. */
  clear(): void {
    this.timer?.handle.cancel();
    this.timer = undefined;
    this.byKey.clear();
    this.heap.clear();
  }

  /** The earliest live entry; pops entries superseded by an earlier deadline. */
  private peek(): Delayed<P> | undefined {
    for (let top = this.heap.peek(); top !== undefined; top = this.heap.peek()) {
      if (this.byKey.get(top.key) === top) return top;
      this.heap.pop();
    }
    return undefined;
  }

  private arm(): void {
    const top = this.peek();
    if (this.timer !== undefined && top !== undefined && this.timer.at <= top.readyAt) return;
    this.timer?.handle.cancel();
    this.timer = undefined;
    if (top === undefined) return;
    // Clamped delays fire early; `fire` then finds nothing due and re-arms.
    const delay = Math.min(top.readyAt - this.clock.now(), MAX_TIMER_DELAY_MS);
    this.timer = { at: top.readyAt, handle: this.clock.setTimeout(() => this.fire(), delay) };
  }

  private fire(): void {
    this.timer = undefined;
    const now = this.clock.now();
    for (let top = this.peek(); top !== undefined && top.readyAt <= now; top = this.peek()) {
      this.heap.pop();
      this.byKey.delete(top.key);
      this.onReady(top.key, top.payload);
    }
    this.arm();
  }
}
