/**
 * The dry run and the reconciler agree: for each case, the plan `apply_project` with dryRun shows
 * (dryRunPlan, what the MCP tool's planFor calls) predicts exactly the Docker calls a real
 * reconcile then makes to each container.
 */
import { describe, expect, it } from "vitest";
import type { ContainerSpec, Project } from "../../../src/api/index.js";
import { dryRunPlan, type ContainerPlan } from "../../../src/reconcilers/dry-run.js";
import { DockerError } from "../../../src/runtime/errors.js";
import { KEY, project, PUBLISH, reconcilerHarness, spec } from "./harness.js";

type Harness = ReturnType<typeof reconcilerHarness>;

const api = spec("api");
const worker = spec("worker", { ports: [] });
const job = spec("job", { ports: [], restartPolicy: "Never" });
const env = { env: [{ name: "A", value: "1" }] };

interface Case {
  name: string;
  /** Specs reconciled, each until settled, before the dry run. */
  history: Project[];
  /** Done to Docker after the history. */
  meanwhile?: (h: Harness) => void | Promise<void>;
  next: Project;
  /** The dry run's actions, `container action`, as a check of the case itself. */
  want: string[];
}

const cases: Case[] = [
  { name: "a new project", history: [], next: project([api, worker]), want: ["api create", "worker create"] },
  {
    name: "no change",
    history: [project([api, worker])],
    next: project([api, worker]),
    want: ["api keep", "worker keep"],
  },
  {
    name: "a spec change of a container with ports",
    history: [project([api, worker])],
    next: project([spec("api", env), worker]),
    want: ["api replace", "worker keep"],
  },
  {
    name: "a spec change of a container without ports (overlap)",
    history: [project([api, worker])],
    next: project([api, spec("worker", { ports: [], ...env })]),
    want: ["api keep", "worker replace"],
  },
  {
    name: "an image change",
    history: [project([api])],
    next: project([spec("api", { image: "img:2" })]),
    want: ["api replace"],
  },
  {
    name: "a fixed host port",
    history: [project([api])],
    next: project([
      spec("api", { ports: [{ name: "http", containerPort: 80, hostPort: 29500, protocol: "TCP" }] }),
    ]),
    want: ["api replace"],
  },
  {
    name: "a restart",
    history: [project([api, worker])],
    next: project([api, worker], { restartedAt: "2026-01-02T00:00:00Z" }),
    want: ["api replace", "worker replace"],
  },
  {
    name: "containers added and removed",
    history: [project([api, worker])],
    next: project([api, job]),
    want: ["api keep", "job create", "worker remove"],
  },
  {
    name: "stopping",
    history: [project([api, job])],
    next: project([api, job], { state: "Stopped" }),
    want: ["api stop", "job stop"],
  },
  {
    name: "starting again what Berth stopped, whatever the policy",
    history: [project([api, job]), project([api, job], { state: "Stopped" })],
    next: project([api, job]),
    want: ["api start", "job start"],
  },
  {
    name: "a job that exited on its own",
    history: [project([job])],
    meanwhile: (h) => h.engine.exit(h.engine.idOf("berth-default-shop-job") ?? ""),
    next: project([job]),
    want: ["job keep"],
  },
  {
    name: "a crashed container with restartPolicy Always",
    history: [project([api])],
    meanwhile: (h) => h.engine.exit(h.engine.idOf("berth-default-shop-api") ?? "", 1),
    next: project([api]),
    want: ["api start"],
  },
  {
    name: "a container created but never started",
    history: [],
    meanwhile: async (h) => {
      h.engine.fail(
        "startContainer",
        new DockerError("bad", { op: "startContainer", endpoint: "x", statusCode: 400 }),
      );
      h.setDesired(project([api]));
      await expect(h.reconcile()).rejects.toThrow("bad");
    },
    next: project([api]),
    want: ["api start"],
  },
];

/** The Docker calls an action makes, as the executor makes them. */
function expectedCalls(a: ContainerPlan, specs: readonly ContainerSpec[]): string[] {
  const overlap = (specs.find((s) => s.name === a.name)?.ports ?? []).length === 0;
  const calls: Record<ContainerPlan["action"], string[]> = {
    keep: [],
    create: ["createContainer", "startContainer"],
    replace: overlap
      ? ["createContainer", "startContainer", "stopContainer", "removeContainer", "renameContainer"]
      : ["stopContainer", "removeContainer", "createContainer", "startContainer"],
    start: ["startContainer"],
    stop: ["stopContainer"],
    remove: ["stopContainer", "removeContainer"],
  };
  return calls[a.action];
}

/** The engine's calls grouped by spec container (temporary names count for their container). */
function callsByContainer(log: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of log) {
    const [method = "", target = ""] = line.split(" ");
    const name = target.replace(/^berth-default-shop-/, "").replace(/-[0-9a-f]{8}$/, "");
    out.set(name, [...(out.get(name) ?? []), method]);
  }
  return out;
}

describe("dry runs and reconciles agree", () => {
  it.each(cases)("$name", async (c) => {
    const h = reconcilerHarness();
    for (const p of c.history) {
      h.setDesired(p);
      await h.settle();
    }
    await c.meanwhile?.(h);
    h.engine.clearFailures();
    const current = h.desired();
    const dry = dryRunPlan({
      key: KEY,
      project: c.next,
      current: current && {
        spec: current.project.spec,
        ...(current.project.metadata.annotations
          ? { annotations: current.project.metadata.annotations }
          : {}),
        ...(h.status.map.has(KEY) ? { status: h.status.map.get(KEY) } : {}),
      },
      observed: h.view.byProject(KEY),
      hostPaths: new Map(),
      publishAddress: PUBLISH,
    });
    expect(dry.containers.map((a) => `${a.name} ${a.action}`)).toEqual(c.want);

    h.engine.log.length = 0;
    h.setDesired(c.next);
    await h.reconcile();
    const predicted = new Map<string, string[]>();
    for (const a of dry.containers) {
      const calls = expectedCalls(a, c.next.spec.containers);
      if (calls.length > 0) predicted.set(a.name, [...(predicted.get(a.name) ?? []), ...calls]);
    }
    expect(callsByContainer(h.engine.log)).toEqual(predicted);
  });
});
