import { describe, expect, it } from "vitest";
import type { ContainerSpec, Project } from "../../../src/api/index.js";
import {
  EXPECTATION_MS,
  plan,
  planActions,
  stoppedWithProject,
  type Plan,
  type PlanInput,
  type ResolvedContainer,
} from "../../../src/reconcilers/plan.js";
import { REASON } from "../../../src/reconcilers/reasons.js";
import type { ObservedContainer } from "../../../src/runtime/observed.js";
import { assignmentsOf, KEY, observed, project, PUBLISH, spec } from "./harness.js";

const api = spec("api");
const worker = spec("worker", { ports: [] });
const withEnv = spec("api", { env: [{ name: "A", value: "1" }] });
const vol = spec("api", { volumes: [{ hostPath: "./data", mountPath: "/data", readOnly: false }] });

/** What the reconciler would know: ports as the harness allocates them, `sha256:<image>`, no volumes. */
function resolvedFor(p: Project, over: Record<string, Partial<ResolvedContainer>> = {}) {
  return new Map(
    p.spec.containers.map((s): [string, ResolvedContainer] => [
      s.name,
      { ports: assignmentsOf(s), imageID: `sha256:${s.image}`, hostPaths: [], ...over[s.name] },
    ]),
  );
}

function input(p: Project | undefined, obs: ObservedContainer[], over: Partial<PlanInput> = {}): PlanInput {
  return {
    key: KEY,
    project: p,
    observed: obs,
    resolved: p ? resolvedFor(p) : new Map(),
    instance: "test",
    publishAddress: PUBLISH,
    stoppedByBerth: new Set(),
    pending: new Map(),
    now: 100_000,
    ...over,
  };
}

/** `container kind: reason` per action, in execution order. */
function summary(p: Plan): string[] {
  return planActions(p).map((a) => `${a.container} ${a.kind}: ${a.reason}`);
}

interface Case {
  name: string;
  input: PlanInput;
  want: string[];
}

const running = project([api]);
const cases: Case[] = [
  { name: "creates a missing container", input: input(running, []), want: ["api create: no container yet"] },
  {
    name: "keeps a running container whose hash matches",
    input: input(running, [observed(api)]),
    want: ["api keep: spec hash matches"],
  },
  {
    name: "replaces on a spec change",
    input: input(project([withEnv]), [observed(api)]),
    want: ["api replace: spec changed"],
  },
  {
    name: "names the changed fields when the previous spec is known",
    input: input(project([withEnv]), [observed(api)], {
      previous: { spec: running.spec, restartedAt: undefined },
    }),
    want: ["api replace: env changed"],
  },
  {
    name: "replaces on an image reference change",
    input: input(project([spec("api", { image: "img:2" })]), [observed(api)]),
    want: ["api replace: image changed"],
  },
  {
    name: "replaces when the reference now names another image ID",
    input: input(running, [observed(api)], {
      resolved: resolvedFor(running, { api: { imageID: "sha256:new" } }),
    }),
    want: ["api replace: image changed"],
  },
  {
    name: "replaces on a host port change",
    input: input(running, [observed(api)], {
      resolved: resolvedFor(running, { api: { ports: assignmentsOf(api, 29100) } }),
    }),
    want: ["api replace: host ports changed"],
  },
  {
    name: "keeps a container whose volumes lead where they led",
    input: input(project([vol]), [observed(vol, { hostPaths: ["/real/data"] })], {
      resolved: resolvedFor(project([vol]), { api: { hostPaths: ["/real/data"] } }),
    }),
    want: ["api keep: spec hash matches"],
  },
  {
    name: "replaces when a volume's real path changed",
    input: input(project([vol]), [observed(vol, { hostPaths: ["/real/data"] })], {
      resolved: resolvedFor(project([vol]), { api: { hostPaths: ["/elsewhere"] } }),
      previous: { spec: project([vol]).spec, restartedAt: undefined },
    }),
    want: ["api replace: volume paths changed"],
  },
  {
    name: "replaces on a restart request",
    input: input(project([api], { restartedAt: "2026-01-02T00:00:00Z" }), [observed(api)], {
      previous: { spec: running.spec, restartedAt: undefined },
    }),
    want: ["api replace: restart requested"],
  },
  {
    name: "starts a created container",
    input: input(running, [observed(api, { state: "created" })]),
    want: ["api start: created, not yet started"],
  },
  {
    name: "starts an exited container with restartPolicy Always",
    input: input(running, [observed(api, { state: "exited" })]),
    want: ["api start: exited; restartPolicy Always"],
  },
  ...(["OnFailure", "Never"] as const).flatMap((policy): Case[] => {
    const s = spec("api", { restartPolicy: policy });
    const p = project([s]);
    return [
      {
        name: `starts an exited ${policy} container Berth stopped`,
        input: input(p, [observed(s, { state: "exited" })], { stoppedByBerth: new Set(["id-api"]) }),
        want: [`api start: ${REASON.stoppedByBerth}`],
      },
      {
        name: `leaves an exited ${policy} container Berth did not stop: a completed job`,
        input: input(p, [observed(s, { state: "exited" })]),
        want: [`api keep: ${REASON.completed}`],
      },
      {
        name: `leaves a failed ${policy} container to dockerd and the user`,
        input: input(p, [{ ...observed(s, { state: "exited" }), exitCode: 3 }]),
        want: [`api keep: exited with code 3; restartPolicy ${policy}`],
      },
    ];
  }),
  {
    name: "leaves a restarting container to dockerd",
    input: input(running, [observed(api, { state: "restarting", running: false })]),
    want: ["api keep: restarting; left to dockerd"],
  },
  {
    name: "stops running and restarting containers of a Stopped project",
    input: input(project([api, worker], { state: "Stopped" }), [
      observed(api),
      observed(worker, { state: "restarting", running: false }),
    ]),
    want: ["api stop: project stopped", "worker stop: project stopped"],
  },
  {
    name: "keeps stopped containers, and missing ones, of a Stopped project",
    input: input(project([api, worker], { state: "Stopped" }), [observed(api, { state: "exited" })]),
    want: ["api keep: project stopped", "worker keep: project stopped"],
  },
  {
    name: "removes containers that are not in the spec",
    input: input(running, [
      observed(api),
      observed(worker),
      { ...observed(worker, { id: "id-x", name: "stray" }), containerName: undefined },
    ]),
    want: ["api keep: spec hash matches", "worker remove: not in the spec", "stray remove: not in the spec"],
  },
  {
    name: "removes a duplicate of the container that matches, then starts that one",
    input: input(running, [
      observed(api, { id: "old", hash: "stale" }),
      observed(api, { id: "new", state: "created" }),
    ]),
    want: [`api remove: ${REASON.duplicate}`, "api start: created, not yet started"],
  },
  {
    name: "replaces all containers of a spec container when none matches",
    input: input(project([withEnv]), [observed(api, { id: "a" }), observed(api, { id: "b" })]),
    want: ["api replace: spec changed"],
  },
  {
    name: "tears everything down when the project is gone",
    input: input(undefined, [observed(api), observed(worker)]),
    want: ["api remove: project deleted", "worker remove: project deleted"],
  },
  {
    name: "skips a container with a port conflict, and only that one",
    input: input(project([api, worker]), [], {
      resolved: resolvedFor(project([api, worker]), { api: { blocked: "host port conflict: taken" } }),
    }),
    want: ["api keep: host port conflict: taken", "worker create: no container yet"],
  },
  {
    name: "stops a Stopped project's containers whatever their ports",
    input: input(project([api], { state: "Stopped" }), [observed(api)], {
      resolved: resolvedFor(running, { api: { blocked: "host port conflict: taken" } }),
    }),
    want: ["api stop: project stopped"],
  },
];

describe("plan", () => {
  it.each(cases)("$name", ({ input: i, want }) => {
    expect(summary(plan(i))).toEqual(want);
  });

  it("is deterministic", () => {
    const i = input(project([withEnv, worker]), [observed(api), observed(spec("gone"))]);
    expect(plan(i)).toEqual(plan(i));
  });

  it("says what status shows for each container before and after", () => {
    const stale = observed(api, { id: "stale", hash: "x", running: false });
    const live = observed(api, { id: "live", hash: "y" });
    const replaced = plan(input(running, [stale, live])).slots[0];
    expect(replaced).toMatchObject({ before: live, after: undefined });
    const stopped = plan(input(project([api], { state: "Stopped" }), [stale, live])).slots[0];
    expect(stopped).toMatchObject({ before: live, after: stale });
    const current = observed(api);
    expect(plan(input(running, [current])).slots[0]).toMatchObject({ before: current, after: current });
  });

  it("creates under the canonical name, or a temporary one when the replacement overlaps", () => {
    const created = planActions(plan(input(running, [])))[0];
    expect(created).toMatchObject({ kind: "create", creation: { name: "berth-default-shop-api" } });
    expect(created?.kind === "create" && created.creation?.createAs).toBe("berth-default-shop-api");
    const withPorts = planActions(plan(input(project([withEnv]), [observed(api)])))[0];
    expect(withPorts).toMatchObject({ kind: "replace", overlap: false });
    const changed = spec("worker", { ports: [], env: [{ name: "A", value: "1" }] });
    const overlap = planActions(plan(input(project([changed]), [observed(worker)])))[0];
    if (overlap?.kind !== "replace" || !overlap.creation) throw new Error("expected a replace");
    expect(overlap.overlap).toBe(true);
    expect(overlap.creation.createAs).toBe(`berth-default-shop-worker-${overlap.creation.hash.slice(0, 8)}`);
    expect(overlap.replaces.map((c) => c.id)).toEqual(["id-worker"]);
  });

  it("removes the network in a teardown when there were containers or a status", () => {
    expect(plan(input(undefined, [observed(api)])).teardown).toEqual({ network: "berth-default-shop" });
    expect(plan(input(undefined, [])).teardown).toEqual({ network: undefined });
    expect(plan(input(undefined, [], { hadStatus: true })).teardown).toEqual({
      network: "berth-default-shop",
    });
    expect(plan(input(undefined, [], { teardownReason: "elsewhere" })).slots).toEqual([]);
    expect(plan(input(running, [])).teardown).toBeUndefined();
  });

  describe("pending creations", () => {
    const created = plan(input(running, [])).slots[0]?.actions[0];
    const hash = created?.kind === "create" ? (created.creation?.hash ?? "") : "";
    const pending = (over: { id?: string; hash?: string; at?: number } = {}) =>
      new Map([["api", { id: "new", hash, at: 100_000 - 1000, ...over }]]);

    it("waits for a container created but not yet reported", () => {
      const p = plan(input(running, [], { pending: pending() }));
      expect(summary(p)).toEqual([`api keep: ${REASON.pendingCreation}`]);
      expect(p.slots[0]?.after).toBeUndefined();
      expect(p.settled).toEqual([]);
    });

    it("waits for the new one while the old one still runs", () => {
      const p = plan(input(project([withEnv]), [observed(api)], { pending: pending({ hash: "h" }) }));
      expect(summary(p)).toEqual(["api replace: spec changed"]);
      const waiting = input(running, [observed(api, { hash: "old" })], { pending: pending() });
      expect(summary(plan(waiting))).toEqual([`api keep: ${REASON.pendingCreation}`]);
    });

    it("creates again once the expectation expired, and forgets it", () => {
      const p = plan(input(running, [], { pending: pending({ at: 100_000 - EXPECTATION_MS - 1 }) }));
      expect(summary(p)).toEqual(["api create: no container yet"]);
      expect(p.settled).toEqual(["api"]);
    });

    it("forgets it once the observer reports the container", () => {
      const p = plan(input(running, [observed(api, { id: "new" })], { pending: pending() }));
      expect(summary(p)).toEqual(["api keep: spec hash matches"]);
      expect(p.settled).toEqual(["api"]);
    });

    it("creates for a newer spec than the pending creation's", () => {
      const p = plan(input(project([withEnv]), [], { pending: pending() }));
      expect(summary(p)).toEqual(["api create: no container yet"]);
    });
  });

  it("plans a create or replace without a creation when a hash input is unknown", () => {
    const unknown = input(running, [observed(api)], {
      resolved: new Map([["api", { ports: undefined, imageID: "sha256:img:1", hostPaths: [] }]]),
    });
    const [replace] = planActions(plan(unknown));
    expect(replace).toMatchObject({ kind: "replace", creation: undefined, reason: "spec changed" });
    const [create] = planActions(plan({ ...unknown, observed: [] }));
    expect(create).toMatchObject({ kind: "create", creation: undefined });
  });

  it("reads who stopped a container from a Stopped status only", () => {
    const containers = [
      { name: "api", containerID: "id-api", state: "exited", health: "none", restartCount: 0 },
    ];
    expect([...stoppedWithProject({ phase: "Stopped", containers })]).toEqual(["id-api"]);
    expect([...stoppedWithProject({ phase: "Degraded", containers })]).toEqual([]);
    expect([...stoppedWithProject(undefined)]).toEqual([]);
  });

  it("plans thousands of containers in linear time", () => {
    const specs: ContainerSpec[] = Array.from({ length: 2000 }, (_, i) => spec(`c${i}`));
    const obs = specs.flatMap((s) => [
      observed(s, { id: `a-${s.name}` }),
      observed(s, { id: `b-${s.name}`, hash: "x" }),
    ]);
    const started = performance.now();
    const p = plan(input(project(specs), obs));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(planActions(p).filter((a) => a.kind === "remove")).toHaveLength(2000);
  });
});
