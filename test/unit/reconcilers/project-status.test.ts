import { describe, expect, it } from "vitest";
import { parseProjects } from "../../../src/api/index.js";
import type { DesiredProject } from "../../../src/api/desired.js";
import { computeStatus, type ReconcileFindings } from "../../../src/reconcilers/project-status.js";
import type { ObservedContainer } from "../../../src/runtime/observed.js";

function desired(extra = "", state = "Running"): DesiredProject {
  const yaml = `apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: p}\nspec:\n  state: ${state}\n  containers:\n    - {name: a, image: x, ports: [{name: http, containerPort: 80}]${extra}}\n    - {name: b, image: x}\n`;
  const [p] = parseProjects(yaml, "p.yaml").projects;
  if (!p) throw new Error("invalid fixture");
  return {
    key: "default/p",
    project: p.project,
    generation: 3,
    hash: p.hash,
    origin: { kind: "file", path: "/d/p.yaml", line: 1, document: 0 },
    specDir: "/d",
    specChangedAt: 0,
    creationTimestamp: "",
    specErrors: [],
  };
}

function container(name: string, over: Partial<ObservedContainer> = {}): ObservedContainer {
  return {
    id: `id-${name}`,
    name: `berth-default-p-${name}`,
    labels: {},
    projectKey: "default/p",
    containerName: name,
    specHash: "h",
    state: "running",
    running: true,
    exitCode: 0,
    oomKilled: false,
    error: "",
    health: "none",
    restartCount: 0,
    startedAt: "2026-01-01T00:00:00Z",
    finishedAt: undefined,
    image: "x",
    imageID: "sha256:i",
    restartPolicy: "unless-stopped",
    portBindings: [],
    ports: [],
    ...over,
  };
}

function findings(over: Partial<ReconcileFindings> = {}): ReconcileFindings {
  return {
    desired: desired(),
    containers: new Map([
      ["a", container("a")],
      ["b", container("b")],
    ]),
    acted: new Set(),
    assignments: [{ container: "a", portName: "http", containerPort: 80, hostPort: 20001, protocol: "TCP" }],
    portConflicts: [],
    imageErrors: [],
    pathErrors: [],
    failures: [],
    probes: new Map(),
    publishHost: "127.0.0.1",
    now: "2026-01-02T00:00:00Z",
    ...over,
  };
}

const cond = (s: ReturnType<typeof computeStatus>, type: string) =>
  s.conditions?.find((c) => c.type === type);

describe("computeStatus", () => {
  it("is Progressing while a running container is about to be replaced, and names it", () => {
    const s = computeStatus(findings({ changing: new Set(["a"]) }), undefined);
    expect(s.phase).toBe("Progressing");
    expect(s.ready).toBe("1/2");
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: "ContainersStarting" });
    expect(cond(s, "Progressing")).toMatchObject({ status: "True", message: "a: running, updating" });
  });

  it("is Progressing, not Stopped, while containers are about to stop", () => {
    const stopped = container("a", { state: "exited", running: false });
    const s = computeStatus(
      findings({
        desired: desired("", "Stopped"),
        containers: new Map([["a", stopped]]),
        changing: new Set(["b"]),
      }),
      undefined,
    );
    expect(s.phase).toBe("Progressing");
    expect(
      computeStatus(
        findings({ desired: desired("", "Stopped"), containers: new Map([["a", stopped]]) }),
        undefined,
      ).phase,
    ).toBe("Stopped");
  });

  it("is Running and Ready when every container runs and is healthy", () => {
    const s = computeStatus(findings(), undefined);
    expect(s.phase).toBe("Running");
    expect(s.ready).toBe("2/2");
    expect(s.observedGeneration).toBe(3);
    expect(cond(s, "Ready")).toMatchObject({
      status: "True",
      reason: "AllContainersHealthy",
      observedGeneration: 3,
    });
    expect(s.ports).toEqual([
      {
        container: "a",
        name: "http",
        containerPort: 80,
        hostPort: 20001,
        protocol: "TCP",
        url: "http://127.0.0.1:20001",
      },
    ]);
    expect(s.portSummary).toBe("a:20001->80");
  });

  it("is Progressing while a probe has no verdict, Degraded when it fails", () => {
    const starting = computeStatus(findings({ probes: new Map([["a", "starting"]]) }), undefined);
    expect(starting.phase).toBe("Progressing");
    expect(cond(starting, "Ready")?.message).toBe("a: running (starting)");
    const bad = computeStatus(findings({ probes: new Map([["a", "unhealthy"]]) }), undefined);
    expect(bad.phase).toBe("Degraded");
    expect(cond(bad, "Ready")?.reason).toBe("ContainersUnhealthy");
  });

  it("does not call a container that was just started Degraded", () => {
    const exited = container("b", { state: "exited", running: false });
    const f = findings({
      containers: new Map([
        ["a", container("a")],
        ["b", exited],
      ]),
    });
    expect(computeStatus(f, undefined).phase).toBe("Degraded");
    expect(computeStatus({ ...f, acted: new Set(["b"]) }, undefined).phase).toBe("Progressing");
  });

  it("is Failed with the holder named on a port conflict", () => {
    const s = computeStatus(
      findings({ portConflicts: ["host port 8080/tcp is already used by project default/q"] }),
      undefined,
    );
    expect(s.phase).toBe("Failed");
    expect(cond(s, "PortsAllocated")).toMatchObject({ status: "False", reason: "PortConflict" });
    expect(cond(s, "PortsAllocated")?.message).toContain("project default/q");
  });

  it("is Stopped when stopped, Progressing while containers still run", () => {
    const d = desired("", "Stopped");
    const stopped = new Map([
      ["a", container("a", { running: false, state: "exited" })],
      ["b", container("b", { running: false, state: "exited" })],
    ]);
    expect(computeStatus(findings({ desired: d, containers: stopped }), undefined).phase).toBe("Stopped");
    expect(computeStatus(findings({ desired: d }), undefined).phase).toBe("Progressing");
  });

  it("reports spec errors in SpecValid and keeps transition times of unchanged conditions", () => {
    const d = desired();
    d.specErrors = [
      { code: "Syntax", file: "p.yaml", line: 7, column: 3, path: "", message: "YAML syntax error: bad" },
    ];
    const first = computeStatus(findings({ desired: d }), undefined);
    expect(cond(first, "SpecValid")).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(cond(first, "SpecValid")?.message).toContain("p.yaml:7:3 YAML syntax error: bad");
    const later = computeStatus({ ...findings({ desired: d }), now: "2026-01-03T00:00:00Z" }, first);
    expect(cond(later, "SpecValid")?.lastTransitionTime).toBe("2026-01-02T00:00:00Z");
    expect(cond(later, "Ready")?.lastTransitionTime).toBe("2026-01-02T00:00:00Z");
  });

  it("is Failed with SpecValid=False naming the path when a spec path is refused", () => {
    const outside = {
      reason: "PathNotAllowed" as const,
      message:
        'spec.containers[0].volumes[0].hostPath "./link" (/d/link) resolves through a symbolic link to /tmp/x',
    };
    const missing = {
      reason: "PathMissing" as const,
      message: "spec.containers[1].build.context does not exist",
    };
    const s = computeStatus(findings({ pathErrors: [outside, missing] }), undefined);
    expect(s.phase).toBe("Failed");
    expect(cond(s, "SpecValid")).toMatchObject({ status: "False", reason: "PathNotAllowed" });
    expect(cond(s, "SpecValid")?.message).toBe(`${outside.message}; ${missing.message}`);
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: "PathNotAllowed" });
    expect(cond(s, "Ready")?.message).toContain("/tmp/x");
    const onlyMissing = computeStatus(findings({ pathErrors: [missing] }), undefined);
    expect(cond(onlyMissing, "SpecValid")).toMatchObject({ status: "False", reason: "PathMissing" });
    expect(cond(computeStatus(findings(), undefined), "SpecValid")).toMatchObject({
      status: "True",
      reason: "Valid",
      message: "",
    });
  });

  it("keeps InvalidSpec as the reason when the document is invalid too, and says both", () => {
    const d = desired();
    d.specErrors = [{ code: "Syntax", file: "p.yaml", line: 2, column: 1, path: "", message: "bad" }];
    const path = { reason: "PathMissing" as const, message: "hostPath ./data does not exist" };
    const s = computeStatus(findings({ desired: d, pathErrors: [path] }), undefined);
    expect(cond(s, "SpecValid")).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(cond(s, "SpecValid")?.message).toContain("p.yaml:2:1 bad");
    expect(cond(s, "SpecValid")?.message).toContain("hostPath ./data does not exist");
  });
});
