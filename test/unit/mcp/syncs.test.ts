import { describe, expect, it } from "vitest";
import type { SyncRecord } from "../../../src/api/index.js";
import { diagnose, diagnosisText } from "../../../src/mcp/diagnosis.js";
import { failedFirst, hasWatchRules, syncsOf } from "../../../src/mcp/syncs.js";
import { getSyncs } from "../../../src/mcp/tools/syncs.js";
import type { McpBackend } from "../../../src/mcp/backend.js";
import type { ToolContext } from "../../../src/mcp/tool.js";
import type { ProjectView } from "../../../src/service/view.js";

const rec = (i: number, over: Partial<SyncRecord> = {}): SyncRecord => ({
  container: "api",
  path: "./src",
  action: "sync",
  time: `2026-01-01T00:00:${String(10 - i).padStart(2, "0")}Z`,
  files: i,
  bytes: 100 * i,
  durationMs: 10 + i,
  ...over,
});

function view(syncs: SyncRecord[] | undefined, watch = true): ProjectView {
  return {
    namespace: "default",
    name: "web",
    generation: 1,
    labels: {},
    annotations: {},
    transitions: [],
    file: "/specs/web.yaml",
    line: 1,
    specErrors: [],
    creationTimestamp: "2026-01-01T00:00:00Z",
    hash: "h1",
    spec: {
      state: "Running",
      containers: [
        {
          name: "api",
          image: "x",
          restartPolicy: "Always",
          ...(watch ? { develop: { watch: [{ path: "./src", action: "sync", target: "/app" }] } } : {}),
        },
        { name: "db", image: "y", restartPolicy: "Always" },
      ],
    } as unknown as ProjectView["spec"],
    status: { phase: "Running", ...(syncs ? { syncs } : {}) },
  };
}

const call = (v: ProjectView, args: Record<string, unknown>) => {
  const backend = { service: { get: () => v } } as unknown as McpBackend;
  return getSyncs.run({ name: "web", ...args }, { backend } as unknown as ToolContext) as {
    text: string;
    structured: { syncs: SyncRecord[]; hint?: string };
  };
};

describe("syncs in the MCP tools", () => {
  it("get_syncs returns the kept outcomes newest first, of one container when asked", () => {
    const syncs = [rec(1), rec(2, { container: "db", error: "target missing" }), rec(3)];
    const out = call(view(syncs), {});
    expect(out.structured.syncs).toEqual(syncs);
    expect(out.structured.hint).toBeUndefined();
    expect(out.text.split("\n")).toHaveLength(4);
    expect(out.text).toContain("db sync ./src: 2 files, 200 bytes, 12 ms FAILED: target missing");
    expect(call(view(syncs), { container: "api" }).structured.syncs).toEqual([rec(1), rec(3)]);
  });

  it("get_syncs says why there is nothing: no watch rules, or nothing changed yet", () => {
    expect(call(view(undefined, false), {}).structured.hint).toMatch(/no develop\.watch rules/);
    expect(call(view([]), {}).structured.hint).toMatch(/nothing synced yet/);
  });

  it("moves the newest failed outcome first and keeps the others in order", () => {
    const s = [rec(1), rec(2), rec(3, { error: "e3" }), rec(4, { error: "e4" })];
    expect(failedFirst(s)).toEqual([s[2], s[0], s[1], s[3]]);
    expect(failedFirst([rec(1)])).toEqual([rec(1)]);
    expect(syncsOf(view(s), { container: "db" })).toEqual([]);
    expect(hasWatchRules(view(s, false))).toBe(false);
  });

  it("diagnose_project shows syncs only for a project with watch rules, failed first, and points at a failure", () => {
    const input = (v: ProjectView) => ({ view: v, observed: [], logs: () => [], probe: () => undefined });
    expect(diagnose(input(view([rec(1)], false))).syncs).toBeUndefined();
    const failing = [rec(1, { error: "permission denied: /app" }), rec(2)];
    const d = diagnose(input(view(failing)));
    expect(d.syncs).toEqual(failing);
    expect(d.nextAction).toMatch(/last sync of \.\/src in api failed \(permission denied: \/app\)/);
    expect(diagnosisText(d)).toContain("syncs (failed first):");
    // a later success means the failure is over: it is still listed first, but no longer the next action
    const fixed = diagnose(input(view([rec(1), rec(2, { error: "old" })])));
    expect(fixed.syncs?.[0]?.error).toBe("old");
    expect(fixed.nextAction).toBe("Nothing to fix: the project is Ready.");
  });
});
