/**
 * Fixtures and fakes for the planner, executor and reconciler unit tests: specs and projects,
 * observed containers labelled as the reconciler labels them, and in-memory images, networks, port
 * allocator, status store and prober around a FakeDockerWriter.
 */
import type { ContainerSpec, DesiredProject, Project, ProjectStatus } from "../../../src/api/index.js";
import {
  PortConflictError,
  type AllocationResult,
  type PortAllocationError,
  type PortAssignment,
} from "../../../src/ports/allocator.js";
import { containerHash } from "../../../src/reconcilers/container-spec.js";
import type { ImageResolver, NetworkEnsurer, PortAllocatorLike } from "../../../src/reconcilers/deps.js";
import { ImageUnavailableError } from "../../../src/reconcilers/images.js";
import { networkName } from "../../../src/reconcilers/names.js";
import { ProjectReconciler, type StatusWriter } from "../../../src/reconcilers/project.js";
import {
  LABEL_CONTAINER,
  LABEL_PROJECT,
  LABEL_SPEC_HASH,
  projectLabelValue,
} from "../../../src/runtime/labels.js";
import type { ObservedContainer } from "../../../src/runtime/observed.js";
import { nopLogger } from "../../../src/util/logger.js";
import { FakeClock } from "../../helpers/fake-clock.js";
import { FakeDockerWriter, FakeObservedContainers } from "../../helpers/fake-docker.js";

export const KEY = "default/shop";
export const PUBLISH = "127.0.0.1";

/** A defaulted container spec with one allocated TCP port `http` on 80 (none with `ports: []`). */
export function spec(name: string, extra: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    name,
    image: "img:1",
    imagePullPolicy: "IfNotPresent",
    restartPolicy: "Always",
    ports: [{ name: "http", containerPort: 80, hostPort: 0, protocol: "TCP" }],
    ...extra,
  };
}

/** A defaulted project `default/shop`. */
export function project(
  containers: ContainerSpec[],
  opts: { state?: "Running" | "Stopped"; restartedAt?: string; host?: string } = {},
): Project {
  return {
    apiVersion: "berth.dev/v1alpha1",
    kind: "Project",
    metadata: {
      name: "shop",
      namespace: "default",
      ...(opts.restartedAt ? { annotations: { "berth.dev/restartedAt": opts.restartedAt } } : {}),
    },
    spec: {
      state: opts.state ?? "Running",
      ...(opts.host ? { host: opts.host } : {}),
      containers,
      logs: { retainLines: 100 },
      metrics: { enabled: true, intervalSeconds: 2 },
    },
  };
}

/** The desired form of a project, as a DesiredReader holds it. */
export function desiredOf(p: Project, generation = 1): DesiredProject {
  return {
    key: KEY,
    project: p,
    generation,
    hash: `h${generation}`,
    origin: { kind: "file", path: "/specs/shop.yaml", line: 1, document: 0 },
    specDir: "/specs",
    specChangedAt: Date.now(),
    creationTimestamp: "2026-01-01T00:00:00Z",
    specErrors: [],
  };
}

/** The host ports the harness' allocator gives a container: 29000 + index of the spec port (fixed ones as given). */
export function assignmentsOf(s: ContainerSpec, base = 29000): PortAssignment[] {
  return (s.ports ?? []).map((p, i) => ({
    container: s.name,
    portName: p.name ?? String(p.containerPort),
    containerPort: p.containerPort,
    hostPort: p.hostPort > 0 ? p.hostPort : base + i,
    protocol: p.protocol,
  }));
}

export interface ObservedOptions {
  id?: string;
  running?: boolean;
  state?: ObservedContainer["state"];
  imageID?: string;
  image?: string;
  ports?: PortAssignment[];
  hostPaths?: string[];
  restartedAt?: string;
  /** Overrides the spec-hash label. */
  hash?: string;
  name?: string;
}

/** An observed container made from `s` as the reconciler labels it. */
export function observed(s: ContainerSpec, o: ObservedOptions = {}): ObservedContainer {
  const ports = o.ports ?? assignmentsOf(s);
  const imageID = o.imageID ?? "sha256:img:1";
  const hash =
    o.hash ??
    containerHash({
      key: KEY,
      spec: s,
      ports,
      imageID,
      network: networkName(KEY),
      publishAddress: PUBLISH,
      hostPaths: o.hostPaths ?? [],
      restartedAt: o.restartedAt,
    });
  const running = o.running ?? (o.state === undefined || o.state === "running");
  return {
    id: o.id ?? `id-${s.name}`,
    name: o.name ?? `berth-default-shop-${s.name}`,
    labels: {
      [LABEL_PROJECT]: projectLabelValue(KEY),
      [LABEL_CONTAINER]: s.name,
      [LABEL_SPEC_HASH]: hash,
    },
    projectKey: KEY,
    containerName: s.name,
    specHash: hash,
    state: o.state ?? (running ? "running" : "exited"),
    running,
    exitCode: 0,
    oomKilled: false,
    error: "",
    health: "none",
    restartCount: 0,
    startedAt: o.state === "created" ? undefined : "2026-01-01T00:00:00Z",
    finishedAt: undefined,
    image: o.image ?? s.image,
    imageID,
    restartPolicy: "unless-stopped",
    portBindings: ports.map((p) => ({
      containerPort: p.containerPort,
      protocol: p.protocol.toLowerCase(),
      hostIp: PUBLISH,
      hostPort: p.hostPort,
    })),
    ports: [],
  };
}

/** Image IDs by reference: `sha256:<ref>` unless set; listed references are unavailable. */
export class FakeImages implements ImageResolver {
  readonly ids = new Map<string, string>();
  readonly missing = new Set<string>();
  readonly forgotten: string[] = [];

  async resolve(s: ContainerSpec): Promise<string> {
    if (this.missing.has(s.image))
      throw new ImageUnavailableError(s.image, `image ${s.image} is not present`);
    return this.ids.get(s.image) ?? `sha256:${s.image}`;
  }

  forget(ref: string): void {
    this.forgotten.push(ref);
  }
}

/** Networks by name, with a log of the calls. */
export class FakeNetworks implements NetworkEnsurer {
  readonly names = new Set<string>();
  readonly log: string[] = [];

  async ensure(name: string): Promise<void> {
    this.log.push(`ensure ${name}`);
    this.names.add(name);
  }

  async remove(name: string): Promise<void> {
    this.log.push(`remove ${name}`);
    this.names.delete(name);
  }
}

/** Ports as {@link assignmentsOf} gives them; `conflicts` (container names) get a PortConflictError. */
export class FakePorts implements PortAllocatorLike {
  readonly conflicts = new Set<string>();
  readonly released: string[] = [];
  /** Added to every allocated port after a release (a new allocation). */
  shift = 0;

  async allocate(project: string, containers: readonly ContainerSpec[]): Promise<AllocationResult> {
    const assignments: PortAssignment[] = [];
    const conflicts: PortAllocationError[] = [];
    for (const c of containers) {
      for (const a of assignmentsOf(c, 29000 + this.shift)) {
        if (!this.conflicts.has(c.name)) assignments.push(a);
        else {
          const owner = { project, container: c.name, portName: a.portName, protocol: a.protocol };
          conflicts.push(new PortConflictError(owner, a.hostPort, a.protocol, { kind: "external" }));
        }
      }
    }
    return { assignments, conflicts };
  }

  async release(project: string): Promise<void> {
    this.released.push(project);
    this.shift += 100;
  }
}

/** A status store in a map. */
export class FakeStatus implements StatusWriter {
  readonly map = new Map<string, ProjectStatus>();
  readonly writes: ProjectStatus[] = [];

  get(key: string): { status: ProjectStatus } | undefined {
    const status = this.map.get(key);
    return status ? { status } : undefined;
  }

  set(key: string, status: ProjectStatus): boolean {
    this.map.set(key, status);
    this.writes.push(status);
    return true;
  }

  delete(key: string): void {
    this.map.delete(key);
  }
}

/**
 * A ProjectReconciler on fakes, with the desired project settable. Pass the engine and status of
 * another harness to play an operator restart (new memory, same Docker and state directory).
 */
export function reconcilerHarness(
  opts: { hostId?: string; engine?: FakeDockerWriter; status?: FakeStatus } = {},
) {
  const engine = opts.engine ?? new FakeDockerWriter();
  const view = new FakeObservedContainers(engine);
  const images = new FakeImages();
  const networks = new FakeNetworks();
  const ports = new FakePorts();
  const status = opts.status ?? new FakeStatus();
  const clock = new FakeClock();
  const specs = new Map<string, DesiredProject>();
  const reconciler = new ProjectReconciler(
    {
      desired: {
        get: (k) => specs.get(k),
        keys: () => [...specs.keys()],
        list: () => [...specs.values()],
        errors: () => [],
      },
      observed: view,
      docker: engine,
      ports,
      images,
      networks,
      status,
      prober: { set: () => {}, remove: () => {}, health: () => undefined },
      logger: nopLogger,
      clock,
    },
    {
      publishAddress: PUBLISH,
      publishHost: PUBLISH,
      mountPolicy: { allowedRoots: [] },
      stopTimeoutSeconds: 1,
      instance: "test",
      ...(opts.hostId !== undefined ? { hostId: opts.hostId } : {}),
    },
  );
  let generation = 0;
  return {
    engine,
    view,
    images,
    networks,
    ports,
    status,
    clock,
    /** Sets (or with undefined, deletes) the desired project. */
    setDesired(p: Project | undefined): void {
      if (p) specs.set(KEY, desiredOf(p, ++generation));
      else specs.delete(KEY);
    },
    desired: () => specs.get(KEY),
    reconcile: () => reconciler.reconcile(KEY, new AbortController().signal),
    /** Reconciles until a reconcile makes no Docker change (at most `max` times). */
    async settle(max = 5): Promise<void> {
      for (let i = 0; i < max; i++) {
        const before = engine.log.length;
        await reconciler.reconcile(KEY, new AbortController().signal);
        if (engine.log.length === before) return;
      }
      throw new Error(`not settled after ${max} reconciles`);
    },
  };
}
