/**
 * The observed state of one managed container, as the DockerObserver caches it and reconcilers,
 * status writers and MCP tools read it. Built from an inspect document by a pure function.
 */
import type { ContainerInspectInfo } from "dockerode";
import { LABEL_CONTAINER, LABEL_PROJECT, LABEL_SPEC_HASH, projectKeyFromLabel } from "./labels.js";

/** Docker's container state (`State.Status`). */
export type ContainerState = "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";

/** Docker's health state; `none` when the container has no health check. */
export type HealthState = "none" | "starting" | "healthy" | "unhealthy";

/** One port mapping: a container port and the host address it is (or is asked to be) published on. */
export interface ObservedPort {
  readonly containerPort: number;
  readonly protocol: string;
  /** Empty when bound on all addresses. */
  readonly hostIp: string;
  /** 0 when Docker is asked to pick (only in `portBindings`). */
  readonly hostPort: number;
}

/** A managed container as last seen. Immutable (frozen): readers may keep references. */
export interface ObservedContainer {
  readonly id: string;
  /** Docker name without the leading `/`, e.g. `berth-default-shop-api-api`. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Queue key `namespace/name` from the `berth.dev/project` label, if it is well formed. */
  readonly projectKey: string | undefined;
  /** The spec's container name (label `berth.dev/container`). */
  readonly containerName: string | undefined;
  /** Label `berth.dev/spec-hash`. */
  readonly specHash: string | undefined;
  readonly state: ContainerState;
  readonly running: boolean;
  readonly exitCode: number;
  readonly oomKilled: boolean;
  /** Docker's `State.Error` (e.g. a failed start), empty when none. */
  readonly error: string;
  readonly health: HealthState;
  readonly restartCount: number;
  /** RFC 3339, undefined if never started. */
  readonly startedAt: string | undefined;
  /** RFC 3339, undefined if never finished. */
  readonly finishedAt: string | undefined;
  /** The image reference the container was created from (`Config.Image`). */
  readonly image: string;
  /** The image id (`sha256:...`). */
  readonly imageID: string;
  /** `HostConfig.RestartPolicy.Name` (`always`, `on-failure`, `no`, ...). */
  readonly restartPolicy: string;
  /** Requested publications (`HostConfig.PortBindings`), sorted. */
  readonly portBindings: readonly ObservedPort[];
  /** Publications in effect now (`NetworkSettings.Ports`), sorted; empty while not running. */
  readonly ports: readonly ObservedPort[];
}

const ZERO_TIME = "0001-01-01T00:00:00Z";
const STATES = new Set<string>(["created", "running", "paused", "restarting", "removing", "exited", "dead"]);
const HEALTH = new Set<string>(["starting", "healthy", "unhealthy"]);

type PortMap = Record<string, ReadonlyArray<{ HostIp?: string; HostPort?: string }> | null | undefined>;

/** Maps an inspect document to a frozen {@link ObservedContainer}. Pure. */
export function toObservedContainer(info: ContainerInspectInfo): ObservedContainer {
  const labels = { ...(info.Config?.Labels ?? {}) };
  const state = info.State;
  const health = state.Health?.Status ?? "none";
  const observed: ObservedContainer = {
    id: info.Id,
    name: info.Name.replace(/^\//, ""),
    labels: Object.freeze(labels),
    projectKey: projectKeyFromLabel(labels[LABEL_PROJECT]),
    containerName: labels[LABEL_CONTAINER],
    specHash: labels[LABEL_SPEC_HASH],
    state: (STATES.has(state.Status) ? state.Status : "dead") as ContainerState,
    running: state.Running,
    exitCode: state.ExitCode,
    oomKilled: state.OOMKilled,
    error: state.Error ?? "",
    health: (HEALTH.has(health) ? health : "none") as HealthState,
    restartCount: info.RestartCount,
    startedAt: time(state.StartedAt),
    finishedAt: time(state.FinishedAt),
    image: info.Config?.Image ?? "",
    imageID: info.Image,
    restartPolicy: info.HostConfig?.RestartPolicy?.Name ?? "",
    portBindings: toPorts(info.HostConfig?.PortBindings as PortMap | undefined),
    ports: toPorts(info.NetworkSettings?.Ports as PortMap | undefined),
  };
  return Object.freeze(observed);
}

function time(value: string | undefined): string | undefined {
  return value && value !== ZERO_TIME ? value : undefined;
}

function toPorts(map: PortMap | undefined | null): readonly ObservedPort[] {
  const out: ObservedPort[] = [];
  for (const [key, bindings] of Object.entries(map ?? {})) {
    const [port, protocol = "tcp"] = key.split("/");
    const containerPort = Number(port);
    for (const b of bindings ?? []) {
      const hostPort = Number(b.HostPort || 0);
      out.push(Object.freeze({ containerPort, protocol, hostIp: b.HostIp ?? "", hostPort }));
    }
  }
  out.sort(
    (a, b) =>
      a.containerPort - b.containerPort ||
      a.protocol.localeCompare(b.protocol) ||
      a.hostIp.localeCompare(b.hostIp) ||
      a.hostPort - b.hostPort,
  );
  return Object.freeze(out);
}

/** True when two observations carry the same state (used to suppress no-op change notifications). Pure. */
export function sameObservation(a: ObservedContainer, b: ObservedContainer): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Called after a cached container was added, changed or removed. Synchronous; must not throw or block. */
export type ContainerChangeListener = (projectKey: string, containerId: string) => void;

/**
 * Read-only view of the observed containers. Reads are synchronous, make no Docker call, and
 * return frozen objects. Reconcilers, status writers and MCP tools depend on this, never on the
 * observer class, so tests can hand them a fake.
 */
export interface ObservedContainers {
  /** True once the first list has completed; stays true across reconnects. */
  readonly synced: boolean;
  /** Resolves once {@link synced} is true; rejects with the signal's reason if it aborts first. */
  waitSynced(signal?: AbortSignal): Promise<void>;
  get(id: string): ObservedContainer | undefined;
  /** Containers of one project by queue key `namespace/name`. */
  byProject(projectKey: string): readonly ObservedContainer[];
  all(): readonly ObservedContainer[];
  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: ContainerChangeListener): () => void;
}
