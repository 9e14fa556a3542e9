import { afterEach, describe, expect, it } from "vitest";
import { KubeApiError } from "../../../src/kube/errors.js";
import type { ProjectObject } from "../../../src/kube/objects.js";
import { ListWatch, type RestartReason } from "../../../src/kube/watch.js";
import { nopLogger } from "../../../src/util/logger.js";
import { FakeClock } from "../../helpers/fake-clock.js";
import { FakeProjects, projectObject, settle } from "../../helpers/fake-kube-api.js";

interface Seen {
  replaces: { names: string[]; initial: boolean }[];
  events: string[];
}

function harness(opts: { stallMs?: number; pageSize?: number } = {}) {
  const api = new FakeProjects();
  const clock = new FakeClock();
  const seen: Seen = { replaces: [], events: [] };
  const restarts: RestartReason[] = [];
  const lw = new ListWatch({
    api,
    namespace: undefined,
    handler: {
      replace: (items, initial) => seen.replaces.push({ names: items.map((i) => i.metadata.name), initial }),
      event: (type, o) => seen.events.push(`${type} ${o.metadata.name}`),
    },
    logger: nopLogger,
    clock,
    stallMs: opts.stallMs ?? 60_000,
    backoffInitialMs: 100,
    backoffMaxMs: 1000,
    watchTimeoutSeconds: () => 300,
    ...(opts.pageSize ? { pageSize: opts.pageSize } : {}),
    onRestart: (r) => restarts.push(r),
  });
  const stop = new AbortController();
  return { api, clock, seen, restarts, lw, stop };
}

const obj = (name: string, rv: string): ProjectObject => projectObject(name, { rv });
let stopAll: (() => void) | undefined;
afterEach(() => stopAll?.());

describe("ListWatch", () => {
  it("lists, then watches from the list's resourceVersion and hands events over in order", async () => {
    const h = harness();
    stopAll = () => h.stop.abort();
    h.api.seed(projectObject("a"));
    h.lw.start(h.stop.signal);
    await h.lw.synced();
    await settle();
    expect(h.seen.replaces).toEqual([{ names: ["a"], initial: true }]);
    const w = h.api.watches[0];
    expect(w?.options).toMatchObject({
      resourceVersion: "101",
      allowWatchBookmarks: true,
      timeoutSeconds: 300,
    });
    w?.push({ type: "ADDED", object: obj("b", "105") });
    w?.push({ type: "MODIFIED", object: obj("a", "106") });
    w?.push({ type: "BOOKMARK", object: { metadata: { resourceVersion: "110" } } });
    w?.push({ type: "DELETED", object: obj("b", "111") });
    expect(h.seen.events).toEqual(["ADDED b", "MODIFIED a", "DELETED b"]);
    expect(h.lw.resourceVersion).toBe("111");
  });

  it("watches again from the last resourceVersion when the server ends the stream, without a relist", async () => {
    const h = harness();
    stopAll = () => h.stop.abort();
    h.lw.start(h.stop.signal);
    await h.lw.synced();
    await settle();
    h.api.watches[0]?.push({ type: "ADDED", object: obj("a", "120") });
    h.api.watches[0]?.end();
    await settle();
    expect(h.api.watches).toHaveLength(2);
    expect(h.api.watches[1]?.options.resourceVersion).toBe("120");
    expect(h.api.count("list")).toBe(1);
    expect(h.restarts).toEqual(["closed"]);
  });

  it("relists on 410 Gone, from an ERROR event or from the request", async () => {
    const h = harness();
    stopAll = () => h.stop.abort();
    h.lw.start(h.stop.signal);
    await h.lw.synced();
    await settle();
    h.api.seed(projectObject("late"));
    h.api.watches[0]?.push({ type: "ERROR", object: { code: 410, reason: "Expired", message: "too old" } });
    await settle();
    expect(h.api.count("list")).toBe(2);
    expect(h.seen.replaces[1]).toEqual({ names: ["late"], initial: false });
    expect(h.api.watches[1]?.options.resourceVersion).toBe("101");
    h.api.faults.watch = [new KubeApiError("gone", 410, "Gone")];
    h.api.watches[1]?.end(); // an empty stream: the next watch waits a backoff
    await h.clock.advanceAsync(200);
    expect(h.api.count("list")).toBe(3);
    expect(h.restarts).toEqual(["expired", "closed", "expired"]);
  });

  it("restarts a failed watch after a backoff, from the same resourceVersion", async () => {
    const h = harness();
    stopAll = () => h.stop.abort();
    h.lw.start(h.stop.signal);
    await h.lw.synced();
    await settle();
    h.api.watches[0]?.push({ type: "ADDED", object: obj("a", "130") });
    h.api.watches[0]?.fail(new KubeApiError("connection reset", 0, undefined));
    await settle();
    expect(h.api.watches).toHaveLength(1); // backing off
    await h.clock.advanceAsync(200);
    expect(h.api.watches).toHaveLength(2);
    expect(h.api.watches[1]?.options.resourceVersion).toBe("130");
    expect(h.api.count("list")).toBe(1);
    expect(h.restarts).toEqual(["error"]);
  });

  it("retries a failing list with growing backoff and reports synced only after a complete list", async () => {
    const h = harness();
    stopAll = () => h.stop.abort();
    const down = new KubeApiError("connect ECONNREFUSED", 0, undefined);
    h.api.faults.list = [down, down, down];
    h.lw.start(h.stop.signal);
    await settle();
    expect(h.lw.isSynced).toBe(false);
    await h.clock.advanceAsync(130); // first retry after ~100 ms
    expect(h.api.count("list")).toBe(2);
    await h.clock.advanceAsync(30); // the second waits 160-240 ms (200 ms with jitter)
    expect(h.api.count("list")).toBe(2);
    await h.clock.advanceAsync(2000);
    expect(h.api.count("list")).toBe(4);
    expect(h.lw.isSynced).toBe(true);
    expect(h.restarts).toEqual([]); // nothing to restart before the first list
  });

  it("aborts a watch that stays silent for stallMs and relists; bookmarks keep it alive", async () => {
    const h = harness({ stallMs: 10_000 });
    stopAll = () => h.stop.abort();
    h.lw.start(h.stop.signal);
    await h.lw.synced();
    await settle();
    const first = h.api.watches[0];
    await h.clock.advanceAsync(9000);
    first?.push({ type: "BOOKMARK", object: { metadata: { resourceVersion: "140" } } });
    await h.clock.advanceAsync(9000);
    expect(first?.signal.aborted).toBe(false);
    await h.clock.advanceAsync(1500);
    expect(first?.signal.aborted).toBe(true);
    expect(h.restarts).toEqual(["stalled"]);
    expect(h.api.count("list")).toBe(2);
    expect(h.api.watches).toHaveLength(2);
  });

  it("reads every page of a paged list before replacing", async () => {
    const h = harness({ pageSize: 2 });
    stopAll = () => h.stop.abort();
    for (const n of ["a", "b", "c"]) h.api.seed(projectObject(n));
    h.lw.start(h.stop.signal);
    await h.lw.synced();
    expect(h.api.count("list")).toBe(2);
    expect(h.seen.replaces).toEqual([{ names: ["a", "b", "c"], initial: true }]);
  });

  it("does not spin when streams end at once without events", async () => {
    const h = harness();
    stopAll = () => h.stop.abort();
    h.lw.start(h.stop.signal);
    await h.lw.synced();
    await settle();
    for (let i = 0; i < 3; i++) {
      h.api.watches.at(-1)?.end();
      await settle();
      await h.clock.advanceAsync(i === 0 ? 150 : 500 * 2 ** i);
    }
    const before = h.api.watches.length;
    h.api.watches.at(-1)?.end();
    await settle();
    expect(h.api.watches.length).toBe(before); // waiting, not watching again at once
    await h.clock.advanceAsync(1500);
    expect(h.api.watches.length).toBe(before + 1);
  });

  it("stops when its signal aborts", async () => {
    const h = harness();
    h.lw.start(h.stop.signal);
    await h.lw.synced();
    await settle();
    h.stop.abort();
    await h.lw.stopped();
    expect(h.api.watches[0]?.signal.aborted).toBe(true);
    expect(h.api.watches).toHaveLength(1);
    expect(h.clock.pending()).toBe(0);
  });
});
