import type { ContainerInspectInfo } from "dockerode";
import type {
  ContainerCreateSpec,
  DockerClient,
  DockerEvent,
  DockerEventStream,
  EventsOptions,
} from "../../src/runtime/docker.js";
import { DockerCallCounter } from "../../src/runtime/docker-metrics.js";
import { ConflictError, DockerError, NotFoundError } from "../../src/runtime/errors.js";
import { toObservedContainer, type ObservedContainer } from "../../src/runtime/observed.js";
import type { ObservedContainers } from "../../src/runtime/observer.js";
import type { DockerWriter } from "../../src/reconcilers/deps.js";
import { eventually } from "./poll.js";

const endpoint = "fake://docker";

/** A minimal inspect document for a managed container. */
export function inspectDoc(
  id: string,
  project: string,
  state: Partial<ContainerInspectInfo["State"]> = {},
  restartCount = 0,
): ContainerInspectInfo {
  return {
    Id: id,
    Name: `/berth-${project.replace(".", "-")}-${id}`,
    Image: "sha256:img",
    RestartCount: restartCount,
    Config: {
      Image: "berth-test/busybox:1",
      Labels: { "berth.dev/managed": "true", "berth.dev/project": project, "berth.dev/container": id },
    },
    HostConfig: {
      RestartPolicy: { Name: "always" },
      PortBindings: { "80/tcp": [{ HostIp: "", HostPort: "20080" }] },
    },
    NetworkSettings: { Ports: { "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "20080" }] } },
    State: {
      Status: "running",
      Running: true,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: 1,
      ExitCode: 0,
      Error: "",
      StartedAt: "2024-01-01T00:00:00Z",
      FinishedAt: "0001-01-01T00:00:00Z",
      ...state,
    },
  } as unknown as ContainerInspectInfo;
}

/** An events stream fed by the test. */
class FakeStream implements DockerEventStream {
  private queue: DockerEvent[] = [];
  private wake: (() => void) | undefined;
  private ended: Error | null | undefined;

  push(e: DockerEvent): void {
    this.queue.push(e);
    this.wake?.();
  }

  /** Ends the stream: cleanly (no argument) or with an error. */
  end(err: Error | null = null): void {
    this.ended = err;
    this.wake?.();
  }

  close(): void {
    this.end(null);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<DockerEvent> {
    for (;;) {
      const next = this.queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.ended !== undefined) {
        if (this.ended) throw this.ended;
        return;
      }
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }
}

/**
 * An in-memory DockerClient for observer tests: containers are inspect documents in a map, events
 * are pushed by the test, inspects can be held until released, and each method can fail on demand.
 */
export class FakeDocker implements DockerClient {
  readonly endpoint = endpoint;
  readonly calls = new DockerCallCounter();
  readonly containers = new Map<string, ContainerInspectInfo>();
  readonly streams: FakeStream[] = [];
  /** While set, inspects wait for it. */
  gate: Promise<void> | undefined;
  inspectsInFlight = new Map<string, number>();
  maxConcurrentPerId = 0;
  failInspect: Error | undefined;
  failEvents: Error | undefined;

  get stream(): FakeStream {
    const s = this.streams.at(-1);
    if (s === undefined) throw new Error("no events stream opened yet");
    return s;
  }

  emit(action: string, id: string): void {
    this.stream.push({ type: "container", action, id, attributes: {}, timeMs: Date.now() });
  }

  async streamEvents(opts: EventsOptions): Promise<DockerEventStream> {
    this.calls.increment("events");
    if (this.failEvents) throw this.failEvents;
    const s = new FakeStream();
    opts.signal?.addEventListener("abort", () => s.close(), { once: true });
    this.streams.push(s);
    return s;
  }

  async listManagedContainers() {
    this.calls.increment("listContainers");
    return [...this.containers.values()].map((c) => ({
      id: c.Id,
      names: [c.Name.slice(1)],
      image: c.Config.Image,
      imageID: c.Image,
      labels: c.Config.Labels,
      state: c.State.Status,
    }));
  }

  async inspectContainer(id: string): Promise<ContainerInspectInfo> {
    this.calls.increment("inspectContainer");
    const n = (this.inspectsInFlight.get(id) ?? 0) + 1;
    this.inspectsInFlight.set(id, n);
    this.maxConcurrentPerId = Math.max(this.maxConcurrentPerId, n);
    try {
      await this.gate;
      if (this.failInspect) throw this.failInspect;
      const doc = this.containers.get(id);
      if (doc === undefined) {
        throw new NotFoundError("container", id, { op: "inspectContainer", endpoint, statusCode: 404 });
      }
      return structuredClone(doc);
    } finally {
      this.inspectsInFlight.set(id, (this.inspectsInFlight.get(id) ?? 1) - 1);
    }
  }

  private unused(): never {
    throw new DockerError("not used by the observer", { op: "fake", endpoint });
  }
  ping = async (): Promise<void> => this.unused();
  createContainer = async (): Promise<string> => this.unused();
  startContainer = async (): Promise<void> => this.unused();
  stopContainer = async (): Promise<void> => this.unused();
  removeContainer = async (): Promise<void> => this.unused();
  renameContainer = async (): Promise<void> => this.unused();
  listNetworks = async (): Promise<never[]> => this.unused();
  createNetwork = async (): Promise<string> => this.unused();
  removeNetwork = async (): Promise<void> => this.unused();
  connectNetwork = async (): Promise<void> => this.unused();
  inspectImage = async (): Promise<string | undefined> => this.unused();
  pullImage = async (): Promise<void> => this.unused();
  buildImage = async (): Promise<string> => this.unused();
  followLogs = async (): Promise<never> => this.unused();
  containerStats = async (): Promise<never> => this.unused();
}

/** Resolves when `predicate` holds, polling every few milliseconds; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 2000): Promise<void> {
  await eventually(predicate, timeoutMs, "the condition", 2);
}

/** The container write methods a {@link FakeDockerWriter} implements and can fail on demand. */
export type WriteMethod =
  "createContainer" | "startContainer" | "stopContainer" | "removeContainer" | "renameContainer";

interface Injected {
  error: Error;
  /** Container name (or create name) the failure is limited to; any when undefined. */
  name: string | undefined;
  once: boolean;
}

const ZERO_TIME = "0001-01-01T00:00:00Z";

/** One call of a {@link FakeDockerWriter}: when it started and ended (performance.now()). */
export interface CallSpan {
  method: WriteMethod;
  /** The container's Docker name when the call started (or the create name). */
  name: string;
  start: number;
  end: number;
}

/**
 * An in-memory Docker engine for the containers' write side (the reconciler's executor): create,
 * start, stop, remove and rename change inspect documents in `docs`, every call is appended to
 * `log` (`"<method> <container name>"`, e.g. `start berth-default-shop-api`), and each method can be
 * failed, once or always, optionally only for one container. Calls can be given a duration
 * (`delays`, real milliseconds), to test concurrency and ordering: `spans` records each call's
 * start and end, `maxInFlight` the most calls at once. {@link FakeObservedContainers} shows its
 * documents the way the Docker observer would.
 */
export class FakeDockerWriter implements DockerWriter {
  readonly endpoint = endpoint;
  readonly docs = new Map<string, ContainerInspectInfo>();
  readonly log: string[] = [];
  /** Image IDs by reference; a reference not listed gets `sha256:<reference>`. */
  readonly imageIds = new Map<string, string>();
  /** How long each call of a method takes, in real milliseconds (default 0: at once). */
  readonly delays: Partial<Record<WriteMethod, number>> = {};
  /** Every finished call, in the order they finished. */
  readonly spans: CallSpan[] = [];
  /** Calls in flight now, and the most there were at once. */
  inFlight = 0;
  maxInFlight = 0;
  private readonly injected = new Map<WriteMethod, Injected[]>();
  private seq = 0;
  private clock = 0;

  /** Makes `method` throw `error` (for the container named `name` only, if given), once or until cleared. */
  fail(method: WriteMethod, error: Error, opts: { name?: string; once?: boolean } = {}): void {
    const list = this.injected.get(method) ?? [];
    list.push({ error, name: opts.name, once: opts.once ?? true });
    this.injected.set(method, list);
  }

  /** Removes every injected failure. */
  clearFailures(): void {
    this.injected.clear();
  }

  /** Sets a container's state as if its process exited with `exitCode`. */
  exit(id: string, exitCode = 0): void {
    const doc = this.mustGet(id, "exit");
    Object.assign(doc.State, {
      Status: "exited",
      Running: false,
      ExitCode: exitCode,
      FinishedAt: this.now(),
    });
  }

  /** The id of the container with Docker name `name`, if any. */
  idOf(name: string): string | undefined {
    for (const d of this.docs.values()) if (d.Name === `/${name}`) return d.Id;
    return undefined;
  }

  createContainer = async (spec: ContainerCreateSpec): Promise<string> => {
    this.log.push(`createContainer ${spec.name}`);
    this.inject("createContainer", spec.name);
    await this.take("createContainer", spec.name);
    if (this.idOf(spec.name) !== undefined) {
      throw new ConflictError("container", spec.name, {
        op: "createContainer",
        endpoint,
        statusCode: 409,
        daemonMessage: `name "${spec.name}" is already in use`,
      });
    }
    const id = `c${String(++this.seq).padStart(4, "0")}${"0".repeat(60)}`;
    const bindings = (spec.HostConfig?.PortBindings ?? {}) as Record<string, unknown>;
    this.docs.set(id, {
      Id: id,
      Name: `/${spec.name}`,
      Image: this.imageIds.get(spec.Image ?? "") ?? `sha256:${spec.Image ?? ""}`,
      RestartCount: 0,
      Config: { Image: spec.Image, Labels: { ...(spec.Labels ?? {}) } },
      HostConfig: { RestartPolicy: spec.HostConfig?.RestartPolicy, PortBindings: bindings },
      NetworkSettings: { Ports: {} },
      State: {
        Status: "created",
        Running: false,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: 0,
        ExitCode: 0,
        Error: "",
        StartedAt: ZERO_TIME,
        FinishedAt: ZERO_TIME,
      },
    } as unknown as ContainerInspectInfo);
    return id;
  };

  startContainer = async (id: string): Promise<void> => {
    const doc = await this.call("startContainer", id);
    Object.assign(doc.State, { Status: "running", Running: true, StartedAt: this.now() });
    doc.NetworkSettings.Ports = structuredClone(doc.HostConfig.PortBindings ?? {}) as never;
  };

  stopContainer = async (id: string): Promise<void> => {
    const doc = await this.call("stopContainer", id);
    if (doc.State.Running) {
      Object.assign(doc.State, { Status: "exited", Running: false, FinishedAt: this.now() });
      doc.NetworkSettings.Ports = {} as never;
    }
  };

  removeContainer = async (id: string): Promise<void> => {
    await this.call("removeContainer", id);
    this.docs.delete(id);
  };

  renameContainer = async (id: string, newName: string): Promise<void> => {
    const doc = await this.call("renameContainer", id, ` -> ${newName}`);
    doc.Name = `/${newName}`;
  };

  private async call(method: WriteMethod, id: string, extra = ""): Promise<ContainerInspectInfo> {
    const doc = this.docs.get(id);
    const name = doc ? doc.Name.slice(1) : id;
    this.log.push(`${method} ${name}${extra}`);
    this.inject(method, name);
    await this.take(method, name);
    return this.mustGet(id, method);
  }

  /** Spends the method's delay as one call in flight, and records its span. */
  private async take(method: WriteMethod, name: string): Promise<void> {
    const delay = this.delays[method] ?? 0;
    const start = performance.now();
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    } finally {
      this.inFlight--;
      this.spans.push({ method, name, start, end: performance.now() });
    }
  }

  private inject(method: WriteMethod, name: string): void {
    const list = this.injected.get(method) ?? [];
    const hit = list.find((i) => i.name === undefined || i.name === name);
    if (!hit) return;
    if (hit.once) list.splice(list.indexOf(hit), 1);
    throw hit.error;
  }

  private mustGet(id: string, op: string): ContainerInspectInfo {
    const doc = this.docs.get(id);
    if (!doc) throw new NotFoundError("container", id, { op, endpoint, statusCode: 404 });
    return doc;
  }

  private now(): string {
    return new Date(Date.UTC(2026, 0, 1) + ++this.clock * 1000).toISOString();
  }
}

/**
 * The Docker observer's view of a {@link FakeDockerWriter}: a snapshot of its documents taken by
 * `sync()` (as if the events had arrived), or on every read when `live` is set.
 */
export class FakeObservedContainers implements ObservedContainers {
  readonly synced = true;
  private snapshot: ObservedContainer[] = [];

  constructor(
    private readonly engine: FakeDockerWriter,
    /** Sync before every read. */
    public live = true,
  ) {
    this.sync();
  }

  /** Takes a new snapshot of the engine's containers. */
  sync(): void {
    this.snapshot = [...this.engine.docs.values()].map((d) => toObservedContainer(structuredClone(d)));
  }

  async waitSynced(): Promise<void> {}

  get(id: string): ObservedContainer | undefined {
    return this.all().find((c) => c.id === id);
  }

  byProject(projectKey: string): readonly ObservedContainer[] {
    return this.all().filter((c) => c.projectKey === projectKey);
  }

  all(): readonly ObservedContainer[] {
    if (this.live) this.sync();
    return this.snapshot;
  }

  onChange(): () => void {
    return () => {};
  }
}
