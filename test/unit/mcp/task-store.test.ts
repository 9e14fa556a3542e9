import { afterEach, describe, expect, it } from "vitest";
import {
  TaskCursorError,
  TaskLimitError,
  TaskStore,
  type TaskSnapshot,
} from "../../../src/mcp/task-store.js";

const ok = { kind: "result" as const, result: { content: [{ type: "text" as const, text: "Ready: done" }] } };

describe("TaskStore", () => {
  let now = 1_000_000;
  let store: TaskStore;
  const make = (options: ConstructorParameters<typeof TaskStore>[0] = {}) =>
    (store = new TaskStore({ now: () => now, ...options }));

  afterEach(() => store?.close());

  it("creates a working task that only its owner can read", () => {
    make();
    const { task } = store.create("alice");
    expect(task).toMatchObject({
      status: "working",
      createdAt: now,
      ttlMs: 15 * 60_000,
      pollIntervalMs: 1000,
    });
    expect(task.taskId).toMatch(/^[0-9a-f-]{36}$/);
    expect(store.get("alice", task.taskId)?.status).toBe("working");
    expect(store.get("bob", task.taskId)).toBeUndefined();
    expect(store.list("bob", undefined).tasks).toEqual([]);
    expect(store.cancel("bob", task.taskId)).toBe("unknown");
    expect(store.get("alice", task.taskId)?.status).toBe("working");
  });

  it("clamps the lifetime a client asks for", () => {
    make({ minTtlMs: 60_000, maxTtlMs: 3_600_000 });
    expect(store.create("a", 5).task.ttlMs).toBe(60_000);
    expect(store.create("a", 10 * 3_600_000).task.ttlMs).toBe(3_600_000);
    expect(store.create("a", 120_000.4).task.ttlMs).toBe(120_000);
  });

  it("records progress, then the outcome; a finished task stays finished", () => {
    make();
    const { task } = store.create("a");
    now += 10;
    store.progress(task.taskId, "1 of 2 containers running");
    expect(store.get("a", task.taskId)).toMatchObject({
      statusMessage: "1 of 2 containers running",
      lastUpdatedAt: now,
    });
    store.finish(task.taskId, ok, "Ready: done");
    const done = store.get("a", task.taskId);
    expect(done).toMatchObject({ status: "completed", statusMessage: "Ready: done", outcome: ok });
    store.finish(task.taskId, { kind: "error", error: { code: -32603, message: "late" } });
    store.progress(task.taskId, "late progress");
    expect(store.get("a", task.taskId)).toEqual(done);
  });

  it("fails a task with a JSON-RPC error", () => {
    make();
    const { task } = store.create("a");
    store.finish(task.taskId, { kind: "error", error: { code: -32603, message: "boom" } });
    expect(store.get("a", task.taskId)).toMatchObject({ status: "failed", outcome: { kind: "error" } });
  });

  it("cancels a working task: its signal aborts and a later outcome is ignored", () => {
    make();
    const { task, signal } = store.create("a");
    expect(store.cancel("a", task.taskId)).toBe("cancelled");
    expect(signal.aborted).toBe(true);
    store.finish(task.taskId, ok);
    expect(store.get("a", task.taskId)).toMatchObject({ status: "cancelled", outcome: undefined });
    expect(store.cancel("a", task.taskId)).toBe("terminal");
  });

  it("wakes waiters when the task ends, and when their own signal aborts", async () => {
    make();
    const { task } = store.create("a");
    const waiting = store.settled("a", task.taskId, new AbortController().signal);
    const gaveUp = new AbortController();
    const impatient = store.settled("a", task.taskId, gaveUp.signal);
    gaveUp.abort();
    expect((await impatient)?.status).toBe("working");
    store.finish(task.taskId, ok);
    expect((await waiting)?.status).toBe("completed");
    expect(await store.settled("b", task.taskId, new AbortController().signal)).toBeUndefined();
  });

  it("expires tasks after their ttl, cancelling the work of a working one", async () => {
    make({ minTtlMs: 1000 });
    const { task, signal } = store.create("a", 1000);
    const waiting = store.settled("a", task.taskId, new AbortController().signal);
    now += 999;
    expect(store.get("a", task.taskId)?.status).toBe("working");
    now += 1;
    expect(store.get("a", task.taskId)).toBeUndefined();
    expect(signal.aborted).toBe(true);
    expect(store.size).toBe(0);
    expect(await waiting).toBeUndefined();
  });

  it("makes room by dropping the oldest finished task, and refuses when all are working", () => {
    make({ maxTasks: 2 });
    const first = store.create("a").task;
    const second = store.create("a").task;
    expect(() => store.create("a")).toThrow(TaskLimitError);
    store.finish(second.taskId, ok);
    store.finish(first.taskId, ok);
    const third = store.create("a").task;
    // the first finished task in creation order goes: that is `first`
    expect(store.get("a", first.taskId)).toBeUndefined();
    expect(store.get("a", second.taskId)?.status).toBe("completed");
    expect(store.get("a", third.taskId)?.status).toBe("working");
  });

  it("limits the working tasks of one owner, not of the others", () => {
    make({ maxWorkingPerOwner: 1 });
    const mine = store.create("a").task;
    expect(() => store.create("a")).toThrow(/already has 1 working tasks/);
    expect(store.create("b").task.status).toBe("working");
    store.finish(mine.taskId, ok);
    expect(store.create("a").task.status).toBe("working");
  });

  it("lists an owner's tasks in pages with an opaque cursor", () => {
    make();
    const ids = [1, 2, 3].map(() => store.create("a").task.taskId);
    store.create("b");
    const first = store.list("a", undefined, 2);
    expect(first.tasks.map((t) => t.taskId)).toEqual(ids.slice(0, 2));
    expect(first.next).toBeDefined();
    const second = store.list("a", first.next, 2);
    expect(second.tasks.map((t) => t.taskId)).toEqual(ids.slice(2));
    expect(second.next).toBeUndefined();
    expect(() => store.list("a", "no-such-task")).toThrow(TaskCursorError);
  });

  it("tells subscribers of every change", () => {
    make();
    const seen: TaskSnapshot[] = [];
    const off = store.subscribe((t) => seen.push(t));
    const { task } = store.create("a");
    store.progress(task.taskId, "half way");
    store.finish(task.taskId, ok);
    off();
    store.create("a");
    expect(seen.map((t) => t.status)).toEqual(["working", "completed"]);
  });

  it("discards a task no client heard of, and aborts everything on close", () => {
    make();
    const kept = store.create("a");
    const dropped = store.create("a");
    store.discard(dropped.task.taskId);
    expect(store.get("a", dropped.task.taskId)).toBeUndefined();
    store.close();
    expect(kept.signal.aborted).toBe(true);
    expect(store.size).toBe(0);
  });
});
