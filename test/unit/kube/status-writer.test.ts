import { describe, expect, it } from "vitest";
import type { ProjectStatus } from "../../../src/api/types.js";
import type { StatusEntry } from "../../../src/api/status.js";
import { KubeDesiredStore } from "../../../src/kube/desired.js";
import { KubeApiError } from "../../../src/kube/errors.js";
import { StatusWriter, sameStatus, statusPatch } from "../../../src/kube/status-writer.js";
import { nopLogger } from "../../../src/util/logger.js";
import { FakeClock } from "../../helpers/fake-clock.js";
import { FakeProjects, projectObject, settle } from "../../helpers/fake-kube-api.js";

/** A status store with a writer side for the test. */
class Local {
  private readonly entries = new Map<string, StatusEntry>();
  private readonly listeners = new Set<(key: string) => void>();
  get(key: string) {
    return this.entries.get(key);
  }
  watch(l: (key: string) => void) {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  }
  set(key: string, status: ProjectStatus) {
    this.entries.set(key, { status, transitions: [] });
    for (const l of this.listeners) l(key);
  }
}

function setup(active = true) {
  const api = new FakeProjects();
  const store = new KubeDesiredStore({ hostId: undefined });
  const local = new Local();
  const clock = new FakeClock();
  let isActive = active;
  const writer = new StatusWriter({
    api,
    store,
    status: local,
    logger: nopLogger,
    active: () => isActive,
    clock,
    coalesceMs: 0,
  });
  const stop = new AbortController();
  writer.start(stop.signal);
  const seeded = api.seed(projectObject("a"));
  store.replace([seeded], true);
  // The watch delivers what the fake apiserver stores.
  const sync = () => {
    const o = api.objects.get("default/a");
    if (o) store.event("MODIFIED", structuredClone(o));
  };
  return { api, store, local, clock, writer, stop, sync, setActive: (v: boolean) => (isActive = v) };
}

const running: ProjectStatus = {
  observedGeneration: 1,
  phase: "Running",
  ready: "1/1",
  lastReconcileTime: "t1",
};

describe("StatusWriter", () => {
  it("patches /status when the local status differs from the object's, and not again when the watch echoes it", async () => {
    const h = setup();
    h.local.set("default/a", running);
    await settle();
    expect(h.api.count("patchStatus")).toBe(1);
    expect(h.api.calls.at(-1)?.body).toEqual({ status: running });
    h.sync();
    await settle();
    expect(h.api.count("patchStatus")).toBe(1);
    h.local.set("default/a", { ...running, lastReconcileTime: "t2" }); // not a difference
    await settle();
    expect(h.api.count("patchStatus")).toBe(1);
    h.stop.abort();
  });

  it("sends null for fields the new status no longer has", () => {
    expect(statusPatch({ phase: "Failed", portSummary: "x" }, { phase: "Running" })).toEqual({
      phase: "Running",
      portSummary: null,
    });
    expect(sameStatus({ phase: "Running", ready: undefined }, { phase: "Running" })).toBe(true);
  });

  it("writes nothing while not the leader, and catches up on a sweep", async () => {
    const h = setup(false);
    h.local.set("default/a", running);
    await settle();
    expect(h.api.count("patchStatus")).toBe(0);
    h.setActive(true);
    h.writer.sweep();
    await settle();
    expect(h.api.count("patchStatus")).toBe(1);
    h.stop.abort();
  });

  it("repairs a status someone else changed on the object", async () => {
    const h = setup();
    h.local.set("default/a", running);
    await settle();
    h.sync();
    await h.api.patchStatus("default", "a", { status: { phase: "Failed" } });
    h.sync();
    await settle();
    expect(h.api.objects.get("default/a")?.status?.phase).toBe("Running");
    h.stop.abort();
  });

  it("retries a failed write with backoff and gives up on a deleted object", async () => {
    const h = setup();
    h.api.faults.patchStatus = [new KubeApiError("apiserver down", 0, undefined)];
    h.local.set("default/a", running);
    await settle();
    expect(h.api.count("patchStatus")).toBe(1);
    await h.clock.advanceAsync(600);
    expect(h.api.count("patchStatus")).toBe(2);
    expect(h.api.objects.get("default/a")?.status?.phase).toBe("Running");
    h.api.faults.patchStatus = [new KubeApiError("gone", 404, "NotFound")];
    h.sync();
    h.local.set("default/a", { ...running, phase: "Degraded" });
    await settle();
    await h.clock.advanceAsync(60_000);
    expect(h.api.count("patchStatus")).toBe(3);
    h.stop.abort();
  });

  it("never writes the status of a project being deleted or run by another host", async () => {
    const h = setup();
    const other = h.api.seed(projectObject("b", { host: "elsewhere" }));
    h.store.event("ADDED", other);
    h.local.set("default/b", running);
    const deleting = structuredClone(h.api.objects.get("default/a"));
    if (deleting) {
      deleting.metadata.deletionTimestamp = "2030-01-01T00:00:00Z";
      h.store.event("MODIFIED", deleting);
    }
    h.local.set("default/a", running);
    await settle();
    expect(h.api.count("patchStatus")).toBe(0);
    h.stop.abort();
  });

  it("coalesces a quick succession of changes into one write", async () => {
    const api = new FakeProjects();
    const store = new KubeDesiredStore({ hostId: undefined });
    const local = new Local();
    const clock = new FakeClock();
    const writer = new StatusWriter({
      api,
      store,
      status: local,
      logger: nopLogger,
      active: () => true,
      clock,
    });
    const stop = new AbortController();
    writer.start(stop.signal);
    store.replace([api.seed(projectObject("a"))], true);
    for (const phase of ["Pending", "Progressing", "Running"] as const)
      local.set("default/a", { ...running, phase });
    await settle();
    expect(api.count("patchStatus")).toBe(0);
    await clock.advanceAsync(100);
    expect(api.count("patchStatus")).toBe(1);
    expect(api.objects.get("default/a")?.status?.phase).toBe("Running");
    stop.abort();
  });
});
