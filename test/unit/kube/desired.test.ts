import { describe, expect, it } from "vitest";
import { KubeDesiredStore, needsReconcile, type StoreChange } from "../../../src/kube/desired.js";
import type { ProjectObject } from "../../../src/kube/objects.js";
import { projectObject } from "../../helpers/fake-kube-api.js";

function storeWith(hostId?: string) {
  const store = new KubeDesiredStore({ hostId, now: () => 1000 });
  const changes: StoreChange[] = [];
  store.subscribe((c) => changes.push(c));
  return { store, changes };
}

const bump = (o: ProjectObject, change: (o: ProjectObject) => void, rv: string): ProjectObject => {
  const next = structuredClone(o);
  change(next);
  next.metadata.resourceVersion = rv;
  return next;
};

describe("KubeDesiredStore", () => {
  it("gives every project --build-root as its specDir", () => {
    const store = new KubeDesiredStore({ hostId: undefined, specDir: "/srv/builds", now: () => 1000 });
    store.replace([projectObject("a", { namespace: "team" })], true);
    expect(store.get("team/a")?.specDir).toBe("/srv/builds");
  });

  it("turns objects into defaulted DesiredProjects with the object's generation", () => {
    const { store, changes } = storeWith();
    store.replace([projectObject("a", { namespace: "team", generation: 3 })], true);
    const d = store.get("team/a");
    expect(d?.generation).toBe(3);
    expect(d?.project.spec.state).toBe("Running");
    expect(d?.project.spec.containers[0]?.restartPolicy).toBe("Always");
    expect(d?.origin).toEqual({ kind: "resource", ref: "projects.berth.dev/team/a" });
    expect(d?.specDir).toBeUndefined();
    expect(d?.project.metadata.uid).toBe("uid-a");
    expect(changes).toEqual([{ key: "team/a", reconcile: true, initial: true }]);
  });

  it("asks for a reconcile on spec, deletion and restart changes, not on status, labels or finalizers", () => {
    const { store, changes } = storeWith();
    const a = projectObject("a");
    store.replace([a], true);
    changes.length = 0;
    const status = bump(a, (o) => (o.status = { phase: "Running" }), "2");
    store.event("MODIFIED", status);
    const labels = bump(status, (o) => (o.metadata.labels = { team: "x" }), "3");
    store.event("MODIFIED", labels);
    const fin = bump(labels, (o) => (o.metadata.finalizers = ["berth.dev/cleanup"]), "4");
    store.event("MODIFIED", fin);
    expect(changes.map((c) => c.reconcile)).toEqual([false, false, false]);
    expect(store.get("default/a")?.project.metadata.labels).toEqual({ team: "x" });
    const spec = bump(fin, (o) => (o.metadata.generation = 2), "5");
    store.event("MODIFIED", spec);
    const restart = bump(
      spec,
      (o) => (o.metadata.annotations = { "berth.dev/restartedAt": "2030-01-01T00:00:00Z" }),
      "6",
    );
    store.event("MODIFIED", restart);
    const deleting = bump(restart, (o) => (o.metadata.deletionTimestamp = "2030-01-01T00:00:00Z"), "7");
    store.event("MODIFIED", deleting);
    store.event("DELETED", deleting);
    expect(changes.slice(3).map((c) => c.reconcile)).toEqual([true, true, true, true]);
    expect(needsReconcile(a, status)).toBe(false);
  });

  it("hides projects being deleted, so that the reconciler tears them down", () => {
    const { store } = storeWith();
    const a = projectObject("a");
    store.replace([a], true);
    store.event(
      "MODIFIED",
      bump(a, (o) => (o.metadata.deletionTimestamp = "2030-01-01T00:00:00Z"), "2"),
    );
    expect(store.get("default/a")).toBeUndefined();
    expect(store.keys()).toEqual([]);
    expect(store.object("default/a")?.metadata.deletionTimestamp).toBeDefined();
  });

  it("runs only this host's projects: spec.host = --host-id, or no spec.host without one", () => {
    const objs = [
      projectObject("free"),
      projectObject("on-a", { host: "a" }),
      projectObject("on-b", { host: "b" }),
    ];
    const plain = storeWith();
    plain.store.replace(objs, true);
    expect(plain.store.keys()).toEqual(["default/free"]);
    const a = storeWith("a");
    a.store.replace(objs, true);
    expect(a.store.keys()).toEqual(["default/on-a"]);
    expect(a.store.objectKeys()).toHaveLength(3);
  });

  it("keeps the last valid spec of an object whose new spec breaks a rule, with the errors attached", () => {
    const { store } = storeWith();
    const a = projectObject("a");
    store.replace([a], true);
    const broken = bump(
      a,
      (o) => {
        o.metadata.generation = 2;
        o.spec = {
          containers: [
            { name: "web", image: "x" },
            { name: "web", image: "y" },
          ],
        };
      },
      "2",
    );
    store.event("MODIFIED", broken);
    const d = store.get("default/a");
    expect(d?.generation).toBe(1);
    expect(d?.project.spec.containers).toHaveLength(1);
    expect(d?.specErrors[0]?.path).toMatch(/^spec\.containers\[1\]\.name/);
    expect(d?.specErrors[0]?.file).toBe("projects.berth.dev/default/a");
    const never = projectObject("b");
    never.spec = {
      containers: [
        { name: "web", image: "x" },
        { name: "web", image: "y" },
      ],
    };
    store.event("ADDED", never);
    expect(store.get("default/b")).toBeUndefined();
    expect(store.errors().map((e) => e.project?.name)).toEqual(["a", "b"]);
  });

  it("a relist reports objects that vanished and skips unchanged ones", () => {
    const { store, changes } = storeWith();
    store.replace([projectObject("a", { rv: "1" }), projectObject("b", { rv: "1" })], true);
    changes.length = 0;
    store.replace([projectObject("a", { rv: "1" })], false);
    expect(changes).toEqual([{ key: "default/b", reconcile: true, initial: false }]);
    expect(store.objectKeys()).toEqual(["default/a"]);
  });

  it("keeps specChangedAt while the generation stays", () => {
    let now = 1000;
    const store = new KubeDesiredStore({ hostId: undefined, now: () => now });
    const a = projectObject("a");
    store.replace([a], true);
    now = 5000;
    store.event(
      "MODIFIED",
      bump(a, (o) => (o.metadata.labels = { x: "y" }), "2"),
    );
    expect(store.get("default/a")?.specChangedAt).toBe(1000);
    store.event(
      "MODIFIED",
      bump(a, (o) => ((o.metadata.generation = 2), ((o.spec ?? {})["state"] = "Stopped")), "3"),
    );
    expect(store.get("default/a")?.specChangedAt).toBe(5000);
  });
});
