import type { Clock, Timer } from "../../src/util/clock.js";

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/** A manual clock: time moves only through `advance`, which fires due timers in deadline order. */
export class FakeClock implements Clock {
  private time = 0;
  private seq = 0;
  private timers: FakeTimer[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer: FakeTimer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return { cancel: () => void (this.timers = this.timers.filter((t) => t !== timer)) };
  }

  /** Number of timers not yet fired or cancelled. */
  pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing each due timer at its own deadline. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (let next = this.nextDue(target); next !== undefined; next = this.nextDue(target)) {
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.at;
      next.fn();
    }
    this.time = target;
  }

  /** Like `advance`, but lets promise callbacks run after each fired timer and at the end. */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.time + ms;
    await settle();
    for (let next = this.nextDue(target); next !== undefined; next = this.nextDue(target)) {
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.at;
      next.fn();
      await settle();
    }
    this.time = target;
    await settle();
  }

  private nextDue(target: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.timers) {
      if (
        t.at <= target &&
        (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq))
      ) {
        best = t;
      }
    }
    return best;
  }
}

/** Resolves after every already-queued promise callback has run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
