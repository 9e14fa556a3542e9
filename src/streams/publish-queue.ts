/**
 * The bounded, batching queue in front of NATS: records wait here until the connection is up,
 * the oldest are dropped (and counted) past the bound, and flushing groups them per subject into
 * newline-delimited JSON messages of bounded size. No I/O; the publisher drives it.
 */
import type { StreamKind } from "./bus.js";

/** One record to publish: a JSON text (no newline) on a subject. */
export interface QueuedRecord {
  readonly kind: StreamKind;
  readonly subject: string;
  readonly json: string;
}

/** One NATS message: NDJSON of consecutive records of one subject. */
export interface OutgoingBatch {
  readonly subject: string;
  readonly kind: StreamKind;
  readonly payload: string;
  readonly records: number;
}

/** Options of {@link PublishQueue}. */
export interface PublishQueueOptions {
  /** Records kept per stream kind while they cannot be sent; the oldest go first. */
  maxRecords: number;
  /** Largest payload of one message, bytes (approximate: UTF-16 length). */
  maxBatchBytes: number;
  /** Called with the kind and the number of records dropped. */
  onDrop: (kind: StreamKind, count: number) => void;
}

/** Single-owner queue (the publisher); not shared. Amortised O(1) per record. */
export class PublishQueue {
  private readonly queues = new Map<StreamKind, QueuedRecord[]>();
  private readonly heads = new Map<StreamKind, number>();
  private bytes = 0;

  constructor(private readonly o: PublishQueueOptions) {}

  /** Records waiting. */
  get size(): number {
    let n = 0;
    for (const [kind, q] of this.queues) n += q.length - (this.heads.get(kind) ?? 0);
    return n;
  }

  /** Bytes of JSON waiting (approximate). */
  get pendingBytes(): number {
    return this.bytes;
  }

  /** Adds a record, dropping the oldest of its kind past the bound. */
  push(record: QueuedRecord): void {
    let q = this.queues.get(record.kind);
    if (q === undefined) this.queues.set(record.kind, (q = []));
    q.push(record);
    this.bytes += record.json.length + 1;
    const head = this.heads.get(record.kind) ?? 0;
    const over = q.length - head - this.o.maxRecords;
    if (over > 0) {
      for (let i = head; i < head + over; i++) this.bytes -= (q[i]?.json.length ?? 0) + 1;
      this.heads.set(record.kind, head + over);
      this.o.onDrop(record.kind, over);
      this.compact(record.kind);
    }
  }

  /**
   * Takes everything waiting as messages: per kind, in order, consecutive records of one subject
   * joined until `maxBatchBytes`. Order per subject is preserved.
   */
  drain(): OutgoingBatch[] {
    const out: OutgoingBatch[] = [];
    for (const [kind, q] of this.queues) {
      const open = new Map<string, { parts: string[]; bytes: number }>();
      const close = (subject: string): void => {
        const b = open.get(subject);
        if (b === undefined) return;
        out.push({ subject, kind, payload: `${b.parts.join("\n")}\n`, records: b.parts.length });
        open.delete(subject);
      };
      for (let i = this.heads.get(kind) ?? 0; i < q.length; i++) {
        const r = q[i] as QueuedRecord;
        let b = open.get(r.subject);
        if (b !== undefined && b.bytes + r.json.length + 1 > this.o.maxBatchBytes) {
          close(r.subject);
          b = undefined;
        }
        if (b === undefined) open.set(r.subject, (b = { parts: [], bytes: 0 }));
        b.parts.push(r.json);
        b.bytes += r.json.length + 1;
      }
      for (const subject of [...open.keys()]) close(subject);
    }
    this.queues.clear();
    this.heads.clear();
    this.bytes = 0;
    return out;
  }

  private compact(kind: StreamKind): void {
    const q = this.queues.get(kind);
    const head = this.heads.get(kind) ?? 0;
    if (q !== undefined && head > 1024 && head * 2 > q.length) {
      this.queues.set(kind, q.slice(head));
      this.heads.set(kind, 0);
    }
  }
}
