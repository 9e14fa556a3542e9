import { describe, expect, it } from "vitest";
import type { ContainerSpec, PortStatus, Project } from "../../../src/api/index.js";
import { dryRunPlan, type DryRunInput } from "../../../src/reconcilers/dry-run.js";
import { REASON } from "../../../src/reconcilers/reasons.js";
import type { ObservedContainer } from "../../../src/runtime/observed.js";
import { KEY, observed, project, PUBLISH, spec } from "./harness.js";

const KNOWN: PortStatus[] = [
  { container: "api", name: "http", containerPort: 80, hostPort: 29000, protocol: "TCP" },
];

function input(p: Project, obs: ObservedContainer[], previous?: ContainerSpec[]): DryRunInput {
  return {
    key: KEY,
    project: p,
    current: previous ? { spec: project(previous).spec, status: { ports: KNOWN } } : undefined,
    observed: obs,
    hostPaths: new Map(),
    publishAddress: PUBLISH,
  };
}

describe("dryRunPlan", () => {
  it("creates what does not exist and allocates new ports", () => {
    const plan = dryRunPlan(input(project([spec("api")]), []));
    expect(plan.containers).toEqual([{ name: "api", action: "create", reason: REASON.missing }]);
    expect(plan.ports).toEqual([
      {
        container: "api",
        name: "http",
        containerPort: 80,
        protocol: "TCP",
        hostPort: null,
        source: "allocate",
      },
    ]);
  });

  it("keeps a container whose spec hash matches, with its port, and gives keep no reason", () => {
    const api = spec("api");
    const plan = dryRunPlan(input(project([api]), [observed(api)], [api]));
    expect(plan.containers).toEqual([{ name: "api", action: "keep" }]);
    expect(plan.ports[0]).toMatchObject({ hostPort: 29000, source: "kept" });
  });

  it("keeps a port a running container publishes when the status does not know it", () => {
    const api = spec("api");
    const plan = dryRunPlan({ ...input(project([api]), [observed(api)]), current: undefined });
    expect(plan.containers).toEqual([{ name: "api", action: "keep" }]);
    expect(plan.ports[0]).toMatchObject({ hostPort: 29000, source: "kept" });
  });

  it("replaces a container whose spec changed and names the fields", () => {
    const api = spec("api");
    const changed = spec("api", { env: [{ name: "A", value: "1" }] });
    const plan = dryRunPlan(input(project([changed]), [observed(api)], [api]));
    expect(plan.containers).toEqual([{ name: "api", action: "replace", reason: "env changed" }]);
    const image = dryRunPlan(input(project([spec("api", { image: "img:2" })]), [observed(api)], [api]));
    expect(image.containers).toEqual([{ name: "api", action: "replace", reason: "image changed" }]);
  });

  it("removes containers that left the spec, starts stopped ones, stops on Stopped", () => {
    const api = spec("api");
    const worker = spec("worker", { ports: [] });
    const plan = dryRunPlan(
      input(project([api]), [observed(api, { state: "exited" }), observed(worker)], [api, worker]),
    );
    expect(plan.containers).toEqual([
      { name: "api", action: "start", reason: "exited; restartPolicy Always" },
      { name: "worker", action: "remove", reason: REASON.notInSpec },
    ]);
    const stopped = dryRunPlan(input(project([api], { state: "Stopped" }), [observed(api)], [api]));
    expect(stopped.containers).toEqual([{ name: "api", action: "stop", reason: REASON.projectStopped }]);
  });

  it("starts what Berth stopped, as the reconciler does, and leaves exited jobs alone", () => {
    const job = spec("job", { restartPolicy: "Never", ports: [] });
    const obs = [observed(job, { state: "exited" })];
    const stoppedStatus = {
      phase: "Stopped" as const,
      containers: [{ name: "job", containerID: "id-job", state: "exited", health: "none", restartCount: 0 }],
    };
    const fromStopped = dryRunPlan({
      ...input(project([job]), obs),
      current: { spec: project([job], { state: "Stopped" }).spec, status: stoppedStatus },
    });
    expect(fromStopped.containers).toEqual([{ name: "job", action: "start", reason: REASON.stoppedByBerth }]);
    const done = dryRunPlan(input(project([job]), obs, [job]));
    expect(done.containers).toEqual([{ name: "job", action: "keep" }]);
  });

  it("predicts the hash of a container with volumes from their real paths", () => {
    const api = spec("api", { volumes: [{ hostPath: "./data", mountPath: "/data", readOnly: false }] });
    const running = [observed(api, { hostPaths: ["/real/data"] })];
    const same = dryRunPlan({
      ...input(project([api]), running, [api]),
      hostPaths: new Map([["api", ["/real/data"]]]),
    });
    expect(same.containers).toEqual([{ name: "api", action: "keep" }]);
    const moved = dryRunPlan({
      ...input(project([api]), running, [api]),
      hostPaths: new Map([["api", ["/other"]]]),
    });
    expect(moved.containers).toEqual([{ name: "api", action: "replace", reason: REASON.pathsChanged }]);
    const unknown = dryRunPlan(input(project([api]), running, [api]));
    expect(unknown.containers[0]).toMatchObject({ name: "api", action: "replace" });
  });

  it("names a restart", () => {
    const api = spec("api");
    const p = project([api], { restartedAt: "2026-01-02T00:00:00Z" });
    const plan = dryRunPlan(input(p, [observed(api)], [api]));
    expect(plan.containers).toEqual([{ name: "api", action: "replace", reason: REASON.restartRequested }]);
  });

  it("keeps fixed host ports as the spec says", () => {
    const api = spec("api", {
      ports: [{ name: "http", containerPort: 80, hostPort: 29050, protocol: "TCP" }],
    });
    expect(dryRunPlan(input(project([api]), [])).ports[0]).toMatchObject({
      hostPort: 29050,
      source: "fixed",
    });
  });
});
