import { describe, expect, it } from "vitest";
import type { ContainerSpec } from "../../../src/api/index.js";
import { execute } from "../../../src/reconcilers/execute.js";
import { containerName } from "../../../src/reconcilers/names.js";
import { DockerError } from "../../../src/runtime/errors.js";
import type { CallSpan } from "../../helpers/fake-docker.js";
import { world } from "./executor-world.js";
import { KEY, project, spec } from "./harness.js";

const call = { signal: new AbortController().signal };
const many = (n: number, extra: Partial<ContainerSpec> = {}) =>
  Array.from({ length: n }, (_, i) => spec(`c${i}`, { ports: [], ...extra }));
const span = (spans: readonly CallSpan[], method: CallSpan["method"], container: string) => {
  const s = spans.find((x) => x.method === method && x.name === containerName(KEY, container));
  if (!s) throw new Error(`no ${method} of ${container}`);
  return s;
};

describe("execute, as a graph", () => {
  it("creates and starts independent containers concurrently", async () => {
    const w = world();
    w.engine.delays.createContainer = 40;
    w.engine.delays.startContainer = 40;
    const started = performance.now();
    const run = await execute(w.planFor(project(many(6))), w.deps, call);
    const elapsed = performance.now() - started;
    expect(run.acted.size).toBe(6);
    // Six containers one after the other would take 6 x 80 ms.
    expect(elapsed).toBeLessThan(250);
    const a = span(w.engine.spans, "createContainer", "c0");
    const b = span(w.engine.spans, "createContainer", "c5");
    expect(b.start).toBeLessThan(a.end);
  });

  it("never has more Docker calls in flight than the gate allows, across runs", async () => {
    const w = world({ concurrency: 3 });
    w.engine.delays.createContainer = 10;
    w.engine.delays.startContainer = 10;
    // Two runs (as of two projects) on one engine and one gate.
    const first = w.planFor(project(many(10)));
    const second = w.planFor(project(many(10).map((s) => ({ ...s, name: s.name.replace("c", "d") }))));
    await Promise.all([execute(first, w.deps, call), execute(second, w.deps, call)]);
    expect(w.engine.log.filter((l) => l.startsWith("startContainer"))).toHaveLength(20);
    expect(w.engine.maxInFlight).toBe(3);
    expect(w.deps.gate.peakCalls).toBe(3);
  });

  it("starts a dependent in the same pass once its Started dependency has started", async () => {
    const w = world();
    w.engine.delays.startContainer = 30;
    const db = spec("db", { ports: [] });
    const api = spec("api", { ports: [], dependsOn: [{ name: "db", condition: "Started" }] });
    const other = spec("other", { ports: [] });
    const p = w.planFor(project([api, db, other]));
    expect(p.slots.find((s) => s.container === "api")?.needs).toEqual(["db"]);
    const run = await execute(p, w.deps, call);
    expect(run.acted).toEqual(new Set(["api", "db", "other"]));
    const spans = w.engine.spans;
    expect(span(spans, "createContainer", "api").start).toBeGreaterThanOrEqual(
      span(spans, "startContainer", "db").end,
    );
    // Unrelated containers do not wait.
    expect(span(spans, "startContainer", "other").start).toBeLessThan(
      span(spans, "startContainer", "db").end,
    );
  });

  it("leaves the dependents of a container that did not start waiting, and goes on with the rest", async () => {
    const w = world();
    const err = new DockerError("daemon hiccup", { op: "createContainer", endpoint: "x", statusCode: 503 });
    w.engine.fail("createContainer", err, { name: containerName(KEY, "db") });
    const db = spec("db", { ports: [] });
    const api = spec("api", { ports: [], dependsOn: [{ name: "db", condition: "Started" }] });
    const run = await execute(w.planFor(project([api, db, spec("other", { ports: [] })])), w.deps, call);
    expect(run.retry).toBe(err);
    expect(run.waiting).toEqual(new Map([["api", "db is not Started yet"]]));
    expect(run.acted).toEqual(new Set(["other"]));
    expect(w.engine.idOf(containerName(KEY, "api"))).toBeUndefined();
  });

  it("reports the plan's waits", async () => {
    const w = world();
    const db = spec("db", { ports: [] });
    const api = spec("api", { ports: [], dependsOn: [{ name: "db", condition: "Healthy" }] });
    const run = await execute(w.planFor(project([api, db])), w.deps, call);
    expect(run.waiting).toEqual(new Map([["api", "db is not Healthy yet"]]));
    expect(w.engine.log).toEqual([
      `createContainer ${containerName(KEY, "db")}`,
      `startContainer ${containerName(KEY, "db")}`,
    ]);
  });

  it("tears down concurrently, dependents before their dependencies, each with its grace", async () => {
    const w = world({ concurrency: 2 });
    const db = spec("db", { ports: [] });
    const api = spec("api", { ports: [], dependsOn: [{ name: "db", condition: "Started" }] });
    const worker = spec("worker", { ports: [], dependsOn: [{ name: "api", condition: "Started" }] });
    for (const s of [db, api, worker, ...many(27)]) await w.seed(s);
    w.engine.delays.stopContainer = 60;
    const started = performance.now();
    await execute(w.planFor(undefined), w.deps, call);
    const elapsed = performance.now() - started;
    expect(w.engine.docs.size).toBe(0);
    const spans = w.engine.spans;
    expect(span(spans, "stopContainer", "api").start).toBeGreaterThanOrEqual(
      span(spans, "removeContainer", "worker").end,
    );
    expect(span(spans, "stopContainer", "db").start).toBeGreaterThanOrEqual(
      span(spans, "removeContainer", "api").end,
    );
    // 30 stops of 60 ms: three levels deep, not thirty; stops do not take the two call permits.
    expect(elapsed).toBeLessThan(3 * 60 + 150);
    expect(w.engine.maxInFlight).toBeGreaterThanOrEqual(27);
  });

  it("stops a Stopped project's dependents first", async () => {
    const w = world();
    const db = spec("db", { ports: [] });
    const api = spec("api", { ports: [], dependsOn: [{ name: "db", condition: "Started" }] });
    await w.seed(db);
    await w.seed(api);
    w.engine.delays.stopContainer = 20;
    await execute(w.planFor(project([api, db], { state: "Stopped" })), w.deps, call);
    const spans = w.engine.spans;
    expect(span(spans, "stopContainer", "db").start).toBeGreaterThanOrEqual(
      span(spans, "stopContainer", "api").end,
    );
  });

  it("removes the other orphans when one removal fails", async () => {
    const w = world();
    for (const s of many(4)) await w.seed(s);
    const err = new DockerError("busy", { op: "removeContainer", endpoint: "x", statusCode: 500 });
    w.engine.fail("removeContainer", err, { name: containerName(KEY, "c1") });
    const run = await execute(w.planFor(undefined), w.deps, call);
    expect(run.retry).toBe(err);
    expect([...w.engine.docs.values()].map((d) => d.Name)).toEqual([`/${containerName(KEY, "c1")}`]);
    // The network still has a container: it goes with the retry.
    expect(w.networks.log).toEqual([]);
  });
});
