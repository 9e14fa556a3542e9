import type { ContainerInspectInfo } from "dockerode";
import type {
  DockerClient,
  DockerEvent,
  DockerEventStream,
  EventsOptions,
} from "../../src/runtime/docker.js";
import { DockerCallCounter } from "../../src/runtime/docker-metrics.js";
import { DockerError, NotFoundError } from "../../src/runtime/errors.js";

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
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 2));
  }
}
