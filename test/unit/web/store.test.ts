import { describe, expect, it } from "vitest";
import { ProjectStore } from "../../../web/src/store.js";
import { view } from "./views.js";

describe("project store", () => {
  const loaded = () => {
    const s = new ProjectStore();
    s.beginLoad();
    s.replaceAll([view("b", { status: { phase: "Running" } }), view("a", { namespace: "z" })]);
    return s;
  };

  it("lists by namespace and name and tells listeners what changed", () => {
    const s = loaded();
    expect(s.list().map((v) => `${v.namespace}/${v.name}`)).toEqual(["default/b", "z/a"]);
    const seen: string[][] = [];
    s.subscribe((changed) => seen.push([...changed]));
    s.applyPhase({ project: "default/b", phase: "Progressing", previous: "Running", time: "t" });
    expect(s.get("default/b")?.status.phase).toBe("Progressing");
    s.applyStatus({ project: "default/c", view: view("c") });
    expect(s.get("default/c")?.name).toBe("c");
    s.applyPhase({ project: "default/c", phase: "Deleted", time: "t" });
    expect(s.get("default/c")).toBeUndefined();
    s.applyStatus({ project: "z/a", view: null });
    expect(s.list().map((v) => v.name)).toEqual(["b"]);
    expect(seen).toEqual([["default/b"], ["default/c"], ["default/c"], ["z/a"]]);
  });

  it("ignores a phase event for a project it has no view of, and removals of unknown projects", () => {
    const s = loaded();
    let calls = 0;
    s.subscribe(() => calls++);
    s.applyPhase({ project: "default/new", phase: "Running", time: "t" });
    s.applyPhase({ project: "default/gone", phase: "Deleted", time: "t" });
    s.applyStatus({ project: "default/gone", view: null });
    expect(s.get("default/new")).toBeUndefined();
    expect(calls).toBe(0);
  });

  it("applies events that arrive during a reload on top of the fresh list", () => {
    const s = loaded();
    s.beginLoad();
    s.applyPhase({ project: "default/b", phase: "Failed", time: "t" });
    s.applyStatus({ project: "default/d", view: view("d") });
    expect(s.get("default/b")?.status.phase).toBe("Running"); // queued, not applied yet
    s.replaceAll([view("b", { status: { phase: "Running" } })]);
    expect(s.get("default/b")?.status.phase).toBe("Failed");
    expect(s.list().map((v) => v.name)).toEqual(["b", "d"]);
    expect(s.loaded).toBe(true);
  });
});
