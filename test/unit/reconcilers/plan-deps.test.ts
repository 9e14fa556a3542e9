import { describe, expect, it } from "vitest";
import type { ContainerSpec, Project } from "../../../src/api/index.js";
import type { HealthCheck } from "../../../src/api/types.js";
import { LABEL_DEPENDS_ON } from "../../../src/reconcilers/container-spec.js";
import {
  plan,
  planActions,
  type Plan,
  type PlanInput,
  type ResolvedContainer,
} from "../../../src/reconcilers/plan.js";
import type { ObservedContainer } from "../../../src/runtime/observed.js";
import { assignmentsOf, KEY, observed, project, PUBLISH, spec } from "./harness.js";

const check = (over: Partial<HealthCheck>): HealthCheck => ({
  periodSeconds: 1,
  timeoutSeconds: 1,
  failureThreshold: 3,
  initialDelaySeconds: 0,
  ...over,
});
const db = spec("db", { ports: [], healthCheck: check({ exec: { command: ["true"] } }) });
const migrate = spec("migrate", { ports: [], restartPolicy: "Never" });
const api = spec("api", {
  dependsOn: [
    { name: "db", condition: "Healthy" },
    { name: "migrate", condition: "Completed" },
  ],
});
const worker = spec("worker", { ports: [], dependsOn: [{ name: "api", condition: "Started" }] });
const stack = project([worker, api, migrate, db]);
const web = spec("web", { healthCheck: check({ httpGet: { path: "/", port: "http" } }) });

function input(p: Project | undefined, obs: ObservedContainer[], over: Partial<PlanInput> = {}): PlanInput {
  const resolved = new Map(
    (p?.spec.containers ?? []).map((s): [string, ResolvedContainer] => [
      s.name,
      { ports: assignmentsOf(s), imageID: `sha256:${s.image}`, hostPaths: [] },
    ]),
  );
  return {
    key: KEY,
    project: p,
    observed: obs,
    resolved,
    instance: "test",
    publishAddress: PUBLISH,
    stoppedByBerth: new Set(),
    pending: new Map(),
    now: 100_000,
    ...over,
  };
}

/** `container kind: reason` per action, in spec order. */
function summary(p: Plan): string[] {
  return planActions(p).map((a) => `${a.container} ${a.kind}: ${a.reason}`);
}

function needs(p: Plan): Record<string, readonly string[]> {
  return Object.fromEntries(p.slots.filter((s) => s.needs.length > 0).map((s) => [s.container, s.needs]));
}

const healthy = (s: ContainerSpec, o = {}) => ({ ...observed(s, o), health: "healthy" as const });
const exited = (s: ContainerSpec, exitCode: number, o = {}): ObservedContainer => ({
  ...observed(s, { state: "exited", ...o }),
  exitCode,
});
const withEnv = (s: ContainerSpec) => ({ ...s, env: [{ name: "V", value: "2" }] });

interface Case {
  name: string;
  input: PlanInput;
  want: string[];
  needs?: Record<string, readonly string[]>;
}

const cases: Case[] = [
  {
    name: "creates what depends on nothing and lets the rest wait, naming the dependency",
    input: input(stack, []),
    want: [
      "worker wait: waiting for api (Started)",
      "api wait: waiting for db (Healthy)",
      "migrate create: no container yet",
      "db create: no container yet",
    ],
  },
  {
    name: "waits while a Healthy dependency runs but its check has not passed",
    input: input(stack, [{ ...observed(db), health: "starting" }, exited(migrate, 0)]),
    want: [
      "worker wait: waiting for api (Started)",
      "api wait: waiting for db (Healthy)",
      "migrate keep: job completed",
      "db keep: spec hash matches",
    ],
  },
  {
    name: "waits for a job that still runs",
    input: input(stack, [healthy(db), observed(migrate)]),
    want: [
      "worker wait: waiting for api (Started)",
      "api wait: waiting for migrate (Completed)",
      "migrate keep: spec hash matches",
      "db keep: spec hash matches",
    ],
  },
  {
    name: "starts a dependent and its Started dependent in one pass once the conditions hold",
    input: input(stack, [healthy(db), exited(migrate, 0)]),
    want: [
      "worker create: no container yet",
      "api create: no container yet",
      "migrate keep: job completed",
      "db keep: spec hash matches",
    ],
    needs: { worker: ["api"] },
  },
  {
    name: "does not count a job's exit 0 as Completed when Berth stopped it",
    input: input(stack, [healthy(db), exited(migrate, 0)], { stoppedByBerth: new Set(["id-migrate"]) }),
    want: [
      "worker wait: waiting for api (Started)",
      "api wait: waiting for migrate (Completed)",
      "migrate start: stopped by Berth, and the spec says Running",
      "db keep: spec hash matches",
    ],
  },
  {
    name: "waits for a job whose spec changed until the new one completed",
    input: input(project([worker, api, withEnv(migrate), db]), [healthy(db), exited(migrate, 0)]),
    want: [
      "worker wait: waiting for api (Started)",
      "api wait: waiting for migrate (Completed)",
      "migrate replace: spec changed",
      "db keep: spec hash matches",
    ],
  },
  {
    name: "keeps a running dependent as it is when its dependency changes",
    input: input(project([worker, api, migrate, withEnv(db)]), [
      observed(worker),
      observed(api),
      exited(migrate, 0),
      healthy(db),
    ]),
    want: [
      "worker keep: spec hash matches",
      "api keep: spec hash matches",
      "migrate keep: job completed",
      "db replace: spec changed",
    ],
  },
  {
    name: "replaces a dependency before its changed Started dependent, in one pass",
    input: input(project([withEnv(worker), withEnv(api), migrate, db]), [
      observed(worker),
      observed(api),
      exited(migrate, 0),
      healthy(db),
    ]),
    want: [
      "worker replace: spec changed",
      "api replace: spec changed",
      "migrate keep: job completed",
      "db keep: spec hash matches",
    ],
    needs: { worker: ["api"] },
  },
  {
    name: "keeps the old dependent running while its Healthy dependency is replaced",
    input: input(project([worker, withEnv(api), migrate, withEnv(db)]), [
      observed(worker),
      observed(api),
      exited(migrate, 0),
      healthy(db),
    ]),
    want: [
      "worker keep: spec hash matches",
      "api wait: waiting for db (Healthy)",
      "migrate keep: job completed",
      "db replace: spec changed",
    ],
  },
  {
    name: "says that a dependency failed, with its exit code",
    input: input(stack, [healthy(db), exited(migrate, 3)]),
    want: [
      "worker wait: waiting for api (Started)",
      "api wait: waiting for migrate (Completed)",
      "migrate keep: exited with code 3; restartPolicy Never",
      "db keep: spec hash matches",
    ],
  },
  {
    name: "counts a completed job as Started",
    input: input(
      project([spec("w", { ports: [], dependsOn: [{ name: "migrate", condition: "Started" }] }), migrate]),
      [exited(migrate, 0)],
    ),
    want: ["w create: no container yet", "migrate keep: job completed"],
  },
  {
    name: "takes the health of Berth's probe for httpGet and tcpSocket checks",
    input: input(
      project([spec("a", { ports: [], dependsOn: [{ name: "web", condition: "Healthy" }] }), web]),
      [observed(web)],
      { probes: new Map([["web", "healthy"]]) },
    ),
    want: ["a create: no container yet", "web keep: spec hash matches"],
  },
  {
    name: "ignores a dependency on a name the spec does not have",
    input: input(project([spec("a", { dependsOn: [{ name: "nope", condition: "Healthy" }] })]), []),
    want: ["a create: no container yet"],
  },
  {
    name: "keeps a running container when only its dependsOn changed (not part of the hash)",
    input: input(project([api, migrate, db]), [observed(spec("api")), exited(migrate, 0), healthy(db)]),
    want: ["api keep: spec hash matches", "migrate keep: job completed", "db keep: spec hash matches"],
  },
];

describe("plan with dependsOn", () => {
  it.each(cases)("$name", ({ input: i, want, needs: edges }) => {
    const p = plan(i);
    expect(summary(p)).toEqual(want);
    expect(needs(p)).toEqual(edges ?? {});
  });

  it("says in the wait what status shows", () => {
    const p = plan(input(stack, [healthy(db), exited(migrate, 3)]));
    const apiWait = p.slots.find((s) => s.container === "api")?.actions[0];
    expect(apiWait).toMatchObject({
      kind: "wait",
      message: "migrate failed (exit 3)",
      dependency: { name: "migrate", condition: "Completed" },
      target: undefined,
    });
    const first = plan(input(stack, [])).slots.find((s) => s.container === "api")?.actions[0];
    expect(first).toMatchObject({ kind: "wait", message: "db is not Healthy yet" });
  });

  it("stops a Stopped project's dependents before their dependencies", () => {
    const obs = [observed(worker), observed(api), healthy(db)];
    const p = plan(input(project([worker, api, migrate, db], { state: "Stopped" }), obs));
    expect(summary(p)).toEqual([
      "worker stop: project stopped",
      "api stop: project stopped",
      "migrate keep: project stopped",
      "db stop: project stopped",
    ]);
    expect(needs(p)).toEqual({ api: ["worker"], db: ["api"] });
  });

  it("tears down dependents first, by the containers' depends-on labels", () => {
    const label = (o: ObservedContainer, deps: string): ObservedContainer => ({
      ...o,
      labels: { ...o.labels, [LABEL_DEPENDS_ON]: deps },
    });
    const obs = [label(observed(worker), "api"), label(observed(api), "db,migrate"), observed(db)];
    const p = plan(input(undefined, [...obs, exited(migrate, 0)]));
    const order = Object.fromEntries(p.orphans.map((o) => [o.container, o.needs ?? []]));
    expect(order).toEqual({ worker: [], api: ["id-worker"], db: ["id-api"], migrate: ["id-api"] });
  });

  it("plans a chain of thousands of containers in linear time", () => {
    const specs: ContainerSpec[] = Array.from({ length: 2000 }, (_, i) =>
      spec(`c${i}`, {
        ports: [],
        ...(i > 0 ? { dependsOn: [{ name: `c${i - 1}`, condition: "Started" }] } : {}),
      }),
    );
    const started = performance.now();
    const p = plan(input(project(specs.toReversed()), []));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(planActions(p).every((a) => a.kind === "create")).toBe(true);
    expect(p.slots.find((s) => s.container === "c1999")?.needs).toEqual(["c1998"]);
  });
});
