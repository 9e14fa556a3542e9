import { describe, expect, it } from "vitest";
import { KubeDesiredStore } from "../../../src/kube/desired.js";
import { withCleanupFinalizer } from "../../../src/kube/finalizer.js";
import { nopLogger } from "../../../src/util/logger.js";
import { FakeProjects, projectObject } from "../../helpers/fake-kube-api.js";

function setup() {
  const api = new FakeProjects();
  const store = new KubeDesiredStore({ hostId: undefined });
  const seen: { key: string; desired: boolean }[] = [];
  const reconcile = withCleanupFinalizer(
    (key) => {
      seen.push({ key, desired: store.get(key) !== undefined });
      return Promise.resolve();
    },
    { api, store, logger: nopLogger },
  );
  const sync = (key = "default/a") => {
    const o = api.objects.get(key);
    if (o) store.event("MODIFIED", structuredClone(o));
    else {
      const gone = store.object(key);
      if (gone) store.event("DELETED", gone);
    }
  };
  return { api, store, seen, reconcile, sync };
}

describe("the cleanup finalizer", () => {
  it("is added before the first reconcile, with the resourceVersion as precondition", async () => {
    const h = setup();
    h.store.replace([h.api.seed(projectObject("a"))], true);
    await h.reconcile("default/a", new AbortController().signal);
    expect(h.api.objects.get("default/a")?.metadata.finalizers).toEqual(["berth.dev/cleanup"]);
    expect(h.api.calls.find((c) => c.method === "patch")?.body).toMatchObject({
      metadata: { resourceVersion: "101" },
    });
    h.sync();
    await h.reconcile("default/a", new AbortController().signal);
    expect(h.api.count("patch")).toBe(1);
  });

  it("is released after the teardown of a deleted project, and the object goes", async () => {
    const h = setup();
    h.store.replace([h.api.seed(projectObject("a"))], true);
    await h.reconcile("default/a", new AbortController().signal);
    h.sync();
    await h.api.delete("default", "a", {});
    h.sync();
    await h.reconcile("default/a", new AbortController().signal);
    expect(h.seen.at(-1)).toEqual({ key: "default/a", desired: false });
    expect(h.api.objects.has("default/a")).toBe(false);
  });

  it("is kept when the deletion arrived during a reconcile that did not tear down", async () => {
    const h = setup();
    h.store.replace([h.api.seed(projectObject("a"))], true);
    await h.reconcile("default/a", new AbortController().signal);
    h.sync();
    const racing = withCleanupFinalizer(
      async () => {
        await h.api.delete("default", "a", {});
        h.sync();
      },
      { api: h.api, store: h.store, logger: nopLogger },
    );
    await racing("default/a", new AbortController().signal);
    expect(h.api.objects.get("default/a")?.metadata.finalizers).toEqual(["berth.dev/cleanup"]);
  });

  it("is not added to projects of another host, and a stale version is a retryable conflict", async () => {
    const h = setup();
    h.store.replace([h.api.seed(projectObject("b", { host: "other" }))], true);
    await h.reconcile("default/b", new AbortController().signal);
    expect(h.api.count("patch")).toBe(0);
    const a = h.api.seed(projectObject("a"));
    h.store.event("ADDED", a);
    await h.api.patchStatus("default", "a", { status: { phase: "Pending" } }); // moves the rv on
    await expect(h.reconcile("default/a", new AbortController().signal)).rejects.toMatchObject({
      status: 409,
    });
  });
});
