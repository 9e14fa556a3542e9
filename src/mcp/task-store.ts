/**
 * The daemon's in-memory store of MCP tasks: tool calls that go on after their request has been
 * answered (the long waits of `wait: true` and wait_for_project). It outlives the requests and
 * sessions that use it, so a 2026-07-28 client can poll from stateless requests. Bounded: each
 * task expires `ttlMs` after it was created (a working one is cancelled then), at most
 * `maxTasks` are kept (the oldest finished one makes room; when every kept task is still working
 * a new one is refused), and a caller holds at most `maxWorkingPerOwner` working tasks.
 *
 * Every task belongs to the caller that created it (an opaque `owner` key); a read, cancel or
 * list by another owner finds nothing, the same answer as an unknown or expired id. Task ids are
 * random UUIDs. The store is era-neutral: tasks.ts renders its records for each protocol. Not
 * persisted: a daemon restart forgets its tasks (the writes they waited for are saved anyway).
 */
import { randomUUID } from "node:crypto";
import type { CallToolResult } from "@modelcontextprotocol/server";
import { BerthError } from "../util/errors.js";

/** How a task's call ended. */
export type TaskOutcome =
  /** The tool ran; its result (which may be a tool error, `isError: true`). */
  | { kind: "result"; result: CallToolResult }
  /** The call failed with a JSON-RPC error. */
  | { kind: "error"; error: { code: number; message: string; data?: unknown } };

export type TaskStatus = "working" | "completed" | "failed" | "cancelled";

/** A task as the store reports it; times are epoch milliseconds. */
export interface TaskSnapshot {
  readonly taskId: string;
  readonly status: TaskStatus;
  readonly statusMessage: string | undefined;
  readonly createdAt: number;
  readonly lastUpdatedAt: number;
  readonly ttlMs: number;
  readonly pollIntervalMs: number;
  /** Set once the status is completed or failed. */
  readonly outcome: TaskOutcome | undefined;
}

/** Limits and clock of a {@link TaskStore}. */
export interface TaskStoreOptions {
  /** Lifetime of a task when the client asks for none; default 15 minutes. */
  defaultTtlMs?: number;
  /** Shortest and longest lifetime a client may ask for; default 1 minute and 1 hour. */
  minTtlMs?: number;
  maxTtlMs?: number;
  /** Tasks kept at most, finished or not; default 1000. */
  maxTasks?: number;
  /** Working tasks one owner may hold; default 50. */
  maxWorkingPerOwner?: number;
  /** The interval clients are asked to poll at; default 1000 ms. */
  pollIntervalMs?: number;
  /** Wall-clock milliseconds; default Date.now. */
  now?: () => number;
}

/** A task could not be created: the store is full of working tasks, or the caller holds too many. */
export class TaskLimitError extends BerthError {
  override readonly name = "TaskLimitError";
}

interface TaskRecord {
  taskId: string;
  owner: string;
  status: TaskStatus;
  statusMessage: string | undefined;
  createdAt: number;
  lastUpdatedAt: number;
  ttlMs: number;
  outcome: TaskOutcome | undefined;
  /** Aborts the call's work: on cancel, on expiry, when the store closes. */
  controller: AbortController;
  /** Waiters of {@link TaskStore.settled}. */
  settle: Array<() => void>;
}

/** What {@link TaskStore.cancel} found. */
export type CancelOutcome = "cancelled" | "terminal" | "unknown";

/** Sweep expired tasks at most this often from a timer (they are swept on access too). */
const SWEEP_MS = 30_000;

/** The store; one per daemon (or per stdio server process). */
export class TaskStore {
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly listeners = new Set<(task: TaskSnapshot) => void>();
  private readonly now: () => number;
  private readonly defaultTtlMs: number;
  private readonly minTtlMs: number;
  private readonly maxTtlMs: number;
  private readonly maxTasks: number;
  private readonly maxWorkingPerOwner: number;
  readonly pollIntervalMs: number;
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor(options: TaskStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.defaultTtlMs = options.defaultTtlMs ?? 15 * 60_000;
    this.minTtlMs = options.minTtlMs ?? 60_000;
    this.maxTtlMs = options.maxTtlMs ?? 60 * 60_000;
    this.maxTasks = options.maxTasks ?? 1000;
    this.maxWorkingPerOwner = options.maxWorkingPerOwner ?? 50;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  /** Tasks kept now, finished or not. */
  get size(): number {
    return this.tasks.size;
  }

  /**
   * A new working task of `owner`, living `ttlMs` (clamped to the store's bounds). Its signal
   * aborts when the task is cancelled, expires or the store closes. Throws TaskLimitError.
   */
  create(owner: string, ttlMs?: number): { task: TaskSnapshot; signal: AbortSignal } {
    this.sweep();
    let working = 0;
    for (const t of this.tasks.values()) if (t.owner === owner && t.status === "working") working++;
    if (working >= this.maxWorkingPerOwner) {
      throw new TaskLimitError(
        `this caller already has ${working} working tasks, the most Berth keeps per caller; wait for one to finish or cancel one (tasks/cancel)`,
      );
    }
    if (this.tasks.size >= this.maxTasks && !this.evictOldestFinished()) {
      throw new TaskLimitError(
        `Berth keeps at most ${this.maxTasks} tasks and all of them are still working; retry later`,
      );
    }
    const now = this.now();
    const record: TaskRecord = {
      taskId: randomUUID(),
      owner,
      status: "working",
      statusMessage: undefined,
      createdAt: now,
      lastUpdatedAt: now,
      ttlMs: Math.min(this.maxTtlMs, Math.max(this.minTtlMs, Math.round(ttlMs ?? this.defaultTtlMs))),
      outcome: undefined,
      controller: new AbortController(),
      settle: [],
    };
    this.tasks.set(record.taskId, record);
    return { task: this.view(record), signal: record.controller.signal };
  }

  /** The task, when `owner` has one with this id that has not expired. */
  get(owner: string, taskId: string): TaskSnapshot | undefined {
    const t = this.find(owner, taskId);
    return t ? this.view(t) : undefined;
  }

  /** A page of `owner`'s tasks, oldest first, starting after the task `cursor` names. */
  list(owner: string, cursor: string | undefined, limit = 100): { tasks: TaskSnapshot[]; next?: string } {
    this.sweep();
    const mine = [...this.tasks.values()].filter((t) => t.owner === owner);
    let start = 0;
    if (cursor !== undefined) {
      const at = mine.findIndex((t) => t.taskId === cursor);
      if (at < 0)
        throw new TaskCursorError("the tasks/list cursor is unknown or expired; list again without one");
      start = at + 1;
    }
    const page = mine.slice(start, start + limit);
    const last = page.at(-1);
    return {
      tasks: page.map((t) => this.view(t)),
      ...(start + limit < mine.length && last ? { next: last.taskId } : {}),
    };
  }

  /** Records progress of a working task as its status message. */
  progress(taskId: string, message: string): void {
    const t = this.tasks.get(taskId);
    if (!t || t.status !== "working") return;
    t.statusMessage = message;
    t.lastUpdatedAt = this.now();
    this.changed(t);
  }

  /**
   * Ends a working task with its call's outcome: completed with the tool's result, or failed with
   * a JSON-RPC error. A cancelled or expired task stays as it is.
   */
  finish(taskId: string, outcome: TaskOutcome, statusMessage?: string): void {
    const t = this.tasks.get(taskId);
    if (!t || t.status !== "working") return;
    t.status = outcome.kind === "result" ? "completed" : "failed";
    t.outcome = outcome;
    if (statusMessage !== undefined) t.statusMessage = statusMessage;
    t.lastUpdatedAt = this.now();
    this.terminal(t);
  }

  /** Forgets a task no client was told about (its call answered directly after all). */
  discard(taskId: string): void {
    const t = this.tasks.get(taskId);
    if (!t) return;
    this.tasks.delete(taskId);
    t.controller.abort();
    for (const wake of t.settle.splice(0)) wake();
  }

  /** Cancels `owner`'s working task: it becomes cancelled and its work is aborted. */
  cancel(owner: string, taskId: string, statusMessage = "cancelled by request"): CancelOutcome {
    const t = this.find(owner, taskId);
    if (!t) return "unknown";
    if (t.status !== "working") return "terminal";
    t.status = "cancelled";
    t.statusMessage = statusMessage;
    t.lastUpdatedAt = this.now();
    t.controller.abort();
    this.terminal(t);
    return "cancelled";
  }

  /**
   * Resolves with the task once it is completed, failed or cancelled (undefined when it expired
   * or is not `owner`'s), or when `signal` aborts (with its state then).
   */
  async settled(owner: string, taskId: string, signal: AbortSignal): Promise<TaskSnapshot | undefined> {
    const t = this.find(owner, taskId);
    if (!t) return undefined;
    if (t.status === "working" && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener("abort", done);
          const at = t.settle.indexOf(done);
          if (at >= 0) t.settle.splice(at, 1);
          resolve();
        };
        t.settle.push(done);
        signal.addEventListener("abort", done, { once: true });
      });
    }
    return this.get(owner, taskId);
  }

  /** Calls `listener` with every change of any task; returns the unsubscribe. */
  subscribe(listener: (task: TaskSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Cancels every working task and forgets them all. */
  close(): void {
    clearInterval(this.sweeper);
    for (const t of this.tasks.values()) {
      t.controller.abort();
      for (const wake of t.settle.splice(0)) wake();
    }
    this.tasks.clear();
    this.listeners.clear();
  }

  /** Removes expired tasks, cancelling the work of those still working. */
  sweep(): void {
    const now = this.now();
    for (const t of this.tasks.values()) {
      if (now - t.createdAt < t.ttlMs) continue;
      this.tasks.delete(t.taskId);
      if (t.status === "working") {
        t.status = "cancelled";
        t.statusMessage = "expired: the task outlived its ttlMs";
        t.lastUpdatedAt = now;
        t.controller.abort();
        this.terminal(t);
      }
      for (const wake of t.settle.splice(0)) wake();
    }
  }

  private view(t: TaskRecord): TaskSnapshot {
    return snapshot(t, this.pollIntervalMs);
  }

  private find(owner: string, taskId: string): TaskRecord | undefined {
    const t = this.tasks.get(taskId);
    if (!t || t.owner !== owner) return undefined;
    if (this.now() - t.createdAt >= t.ttlMs) {
      this.sweep();
      return undefined;
    }
    return t;
  }

  private evictOldestFinished(): boolean {
    for (const t of this.tasks.values()) {
      // a Map iterates in insertion order: the first finished task is the oldest
      if (t.status !== "working") {
        this.tasks.delete(t.taskId);
        return true;
      }
    }
    return false;
  }

  private terminal(t: TaskRecord): void {
    for (const wake of t.settle.splice(0)) wake();
    this.changed(t);
  }

  private changed(t: TaskRecord): void {
    const snap = this.view(t);
    for (const listener of this.listeners) {
      try {
        listener(snap);
      } catch {
        // a listener's failure is its own; the other listeners still hear of the change
      }
    }
  }
}

/** A tasks/list cursor that names no kept task of the caller. */
export class TaskCursorError extends BerthError {
  override readonly name = "TaskCursorError";
}

function snapshot(t: TaskRecord, pollIntervalMs: number): TaskSnapshot {
  return {
    taskId: t.taskId,
    status: t.status,
    statusMessage: t.statusMessage,
    createdAt: t.createdAt,
    lastUpdatedAt: t.lastUpdatedAt,
    ttlMs: t.ttlMs,
    pollIntervalMs,
    outcome: t.outcome,
  };
}
