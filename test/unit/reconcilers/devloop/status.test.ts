import { describe, expect, it } from "vitest";
import { parseProjects, type DesiredProject } from "../../../../src/api/index.js";
import type { Condition, ProjectStatus, SyncRecord } from "../../../../src/api/types.js";
import { withDevLoop, type DevLoopControl } from "../../../../src/reconcilers/devloop/status.js";
import { MAX_SYNC_RECORDS, syncedCondition } from "../../../../src/reconcilers/devloop/records.js";

function desired(develop: string): DesiredProject {
  const yaml = `apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: api, image: img${develop}}\n`;
  const project = parseProjects(yaml, "p.yaml").projects[0]?.project;
  if (!project) throw new Error("invalid fixture");
  return { key: "default/p", project, generation: 3, specDir: "/specs" } as unknown as DesiredProject;
}

const rec = (files: number): SyncRecord => ({
  container: "api",
  path: "./src",
  action: "sync",
  time: "2026-01-01T00:00:00Z",
  files,
  bytes: 1,
  durationMs: 1,
});

/** A DevLoopControl holding records in memory, as DevLoop does. */
function control(): DevLoopControl & { list: SyncRecord[] } {
  const c = {
    list: [] as SyncRecord[],
    set: () => {},
    remove: () => {},
    records: () => c.list,
    seed: (_key: string, records: readonly SyncRecord[] | undefined) => {
      if (c.list.length === 0 && records) c.list = records.slice(0, MAX_SYNC_RECORDS);
    },
    condition: (_key: string, previous: Condition | undefined, now: string, generation: number) =>
      syncedCondition(c.list[0] ? { record: c.list[0], message: "m" } : undefined, previous, now, generation),
  };
  return c;
}

const base: ProjectStatus = {
  phase: "Running",
  conditions: [
    { type: "Ready", status: "True", reason: "AllContainersHealthy", message: "", lastTransitionTime: "T0" },
  ],
};

describe("withDevLoop", () => {
  it("adds the Synced condition only to a project with watch rules", () => {
    const plain = withDevLoop(base, control(), desired(""), undefined, "T1");
    expect(plain.conditions?.map((c) => c.type)).toEqual(["Ready"]);
    expect(plain.syncs).toBeUndefined();
    const watched = desired(", develop: {watch: [{path: ./src, action: sync, target: /app}]}");
    const s = withDevLoop(base, control(), watched, undefined, "T1");
    expect(s.conditions?.find((c) => c.type === "Synced")).toMatchObject({
      status: "Unknown",
      reason: "Watching",
      observedGeneration: 3,
    });
  });

  it("carries the outcomes of the last status over an operator restart", () => {
    const watched = desired(", develop: {watch: [{path: ./src, action: sync, target: /app}]}");
    const c = control();
    const s = withDevLoop(base, c, watched, { ...base, syncs: [rec(7)] }, "T1");
    expect(s.syncs).toEqual([rec(7)]);
    expect(s.conditions?.find((x) => x.type === "Synced")?.status).toBe("True");
  });
});
