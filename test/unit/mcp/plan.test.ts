import { describe, expect, it } from "vitest";
import type { ContainerSpec, Project } from "../../../src/api/types.js";
import { containerHash } from "../../../src/reconcilers/container-spec.js";
import type { ObservedContainer } from "../../../src/runtime/observed.js";
import { planProject, type PlanInput } from "../../../src/mcp/plan.js";

const KEY = "default/shop";
const IMAGE_ID = "sha256:abc";

function container(name: string, image = "img:1", extra: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    name,
    image,
    imagePullPolicy: "IfNotPresent",
    restartPolicy: "Always",
    ports: [{ name: "http", containerPort: 80, hostPort: 0, protocol: "TCP" }],
    ...extra,
  };
}

function project(containers: ContainerSpec[], state: "Running" | "Stopped" = "Running"): Project {
  return {
    apiVersion: "berth.dev/v1alpha1",
    kind: "Project",
    metadata: { name: "shop", namespace: "default" },
    spec: { state, containers, logs: { retainLines: 100 }, metrics: { enabled: true, intervalSeconds: 2 } },
  };
}

/** An observed container created from `spec` with host port `hostPort`, as the reconciler labels it. */
function observed(
  spec: ContainerSpec,
  hostPort: number,
  running = true,
  hostPaths: string[] = [],
): ObservedContainer {
  const hash = containerHash({
    key: KEY,
    spec,
    ports: [{ container: spec.name, portName: "http", containerPort: 80, hostPort, protocol: "TCP" }],
    imageID: IMAGE_ID,
    network: "berth-default-shop",
    publishAddress: "127.0.0.1",
    hostPaths,
    restartedAt: undefined,
  });
  return {
    id: `id-${spec.name}`,
    name: `berth-default-shop-${spec.name}`,
    labels: { "berth.dev/image": spec.image },
    projectKey: KEY,
    containerName: spec.name,
    specHash: hash,
    state: running ? "running" : "exited",
    running,
    exitCode: 0,
    oomKilled: false,
    error: "",
    health: "none",
    restartCount: 0,
    startedAt: undefined,
    finishedAt: undefined,
    image: spec.image,
    imageID: IMAGE_ID,
    restartPolicy: "unless-stopped",
    portBindings: [{ containerPort: 80, protocol: "tcp", hostIp: "127.0.0.1", hostPort }],
    ports: [],
  };
}

function input(p: Project, obs: ObservedContainer[], previous?: ContainerSpec[]): PlanInput {
  return {
    key: KEY,
    project: p,
    previous: previous ? project(previous).spec : undefined,
    observed: obs,
    knownPorts: [{ container: "api", name: "http", containerPort: 80, hostPort: 29001, protocol: "TCP" }],
    hostPaths: new Map(),
    publishAddress: "127.0.0.1",
  };
}

describe("dry-run plans", () => {
  it("creates what does not exist and allocates new ports", () => {
    const plan = planProject({ ...input(project([container("api")]), []), knownPorts: [] });
    expect(plan.containers).toEqual([{ name: "api", action: "create", reason: "no container yet" }]);
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

  it("keeps a container whose spec hash matches, with its port", () => {
    const api = container("api");
    const plan = planProject(input(project([api]), [observed(api, 29001)], [api]));
    expect(plan.containers).toEqual([{ name: "api", action: "keep" }]);
    expect(plan.ports[0]).toMatchObject({ hostPort: 29001, source: "kept" });
  });

  it("replaces a container whose spec changed and names the fields", () => {
    const api = container("api");
    const changed = container("api", "img:1", { env: [{ name: "A", value: "1" }] });
    const plan = planProject(input(project([changed]), [observed(api, 29001)], [api]));
    expect(plan.containers).toEqual([{ name: "api", action: "replace", reason: "env changed" }]);
    const image = planProject(input(project([container("api", "img:2")]), [observed(api, 29001)], [api]));
    expect(image.containers[0]).toEqual({ name: "api", action: "replace", reason: "image changed" });
  });

  it("removes containers that left the spec, starts stopped ones, stops on Stopped", () => {
    const api = container("api");
    const worker = container("worker", "img:1", { ports: [] });
    const plan = planProject(
      input(project([api]), [observed(api, 29001, false), observed(worker, 0)], [api, worker]),
    );
    expect(plan.containers).toEqual([
      { name: "api", action: "start" },
      { name: "worker", action: "remove", reason: "no longer in the spec" },
    ]);
    const stopped = planProject(input(project([api], "Stopped"), [observed(api, 29001)], [api]));
    expect(stopped.containers).toEqual([{ name: "api", action: "stop" }]);
  });

  it("predicts the hash of a container with volumes from their real paths", () => {
    const api = container("api", "img:1", {
      volumes: [{ hostPath: "./data", mountPath: "/data", readOnly: false }],
    });
    const running = [observed(api, 29001, true, ["/real/data"])];
    const same = planProject({
      ...input(project([api]), running, [api]),
      hostPaths: new Map([["api", ["/real/data"]]]),
    });
    expect(same.containers).toEqual([{ name: "api", action: "keep" }]);
    const moved = planProject({
      ...input(project([api]), running, [api]),
      hostPaths: new Map([["api", ["/other"]]]),
    });
    expect(moved.containers[0]).toMatchObject({ name: "api", action: "replace" });
    const unknown = planProject(input(project([api]), running, [api]));
    expect(unknown.containers[0]).toMatchObject({ name: "api", action: "replace" });
  });

  it("keeps fixed host ports as the spec says", () => {
    const api = container("api", "img:1", {
      ports: [{ name: "http", containerPort: 80, hostPort: 29050, protocol: "TCP" }],
    });
    expect(planProject(input(project([api]), [])).ports[0]).toMatchObject({
      hostPort: 29050,
      source: "fixed",
    });
  });
});
