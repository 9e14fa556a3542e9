/**
 * The Docker Engine API as the reconciler and observer need it: a narrow interface
 * ({@link DockerClient}) that fakes can implement. Its dockerode implementation is in
 * dockerode-client.ts; docker.ts is the folder's entry for both.
 */
import type { Readable } from "node:stream";
import type { ContainerCreateOptions, ContainerInspectInfo } from "dockerode";
import type { DockerCallCounts } from "./docker-metrics.js";
import type { DockerEventStream, ProgressListener } from "./docker-streams.js";

/** The inspect document (GET /containers/{id}/json), as typed by @types/dockerode. */
export type { ContainerInspectInfo };

/** Per-call options. Every call is also bounded by the client's timeout unless it streams. */
export interface CallOptions {
  /** Aborting rejects the call with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/** A container as listed (GET /containers/json), narrowed. */
export interface ContainerSummary {
  id: string;
  /** Names without the leading `/`. */
  names: string[];
  image: string;
  imageID: string;
  labels: Record<string, string>;
  /** `created`, `running`, `paused`, `restarting`, `removing`, `exited`, `dead`. */
  state: string;
}

/** A network as listed (GET /networks), narrowed. */
export interface NetworkSummary {
  id: string;
  name: string;
  driver: string;
  labels: Record<string, string>;
  /** IPv4/IPv6 subnets of its IPAM configuration. */
  subnets: string[];
}

/** What {@link DockerClient.createContainer} sends: Docker's create body plus the container name. */
export type ContainerCreateSpec = Omit<ContainerCreateOptions, "name" | "abortSignal" | "authconfig"> & {
  name: string;
};

/** Options of {@link DockerClient.createNetwork}. */
export interface NetworkCreateSpec {
  name: string;
  labels: Record<string, string>;
  /** Default `bridge`. */
  driver?: string;
  internal?: boolean;
  /** Subnet to use (IPAM), e.g. `10.213.4.0/26`; default: Docker picks one from its pools. */
  subnet?: string;
}

/** Options of {@link DockerClient.buildImage}. */
export interface BuildImageSpec extends CallOptions {
  /** Directory sent as the build context, less what its `.dockerignore` excludes. */
  contextDir: string;
  /** Dockerfile path relative to the context; default `Dockerfile`. */
  dockerfile?: string;
  /** Tag of the result, e.g. `berth-build/default-shop-api-api:latest`. */
  tag: string;
  /** More `repo:tag` references for the result (e.g. its build digest tag). */
  extraTags?: string[];
  /** `--build-arg` values. */
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  onProgress?: ProgressListener;
}

/** Options of {@link DockerClient.streamEvents}. */
export interface EventsOptions extends CallOptions {
  /** Docker event filters, e.g. `{type: ["container"], label: ["berth.dev/managed=true"]}`. */
  filters: Record<string, string[]>;
  /** Replay events since this time (seconds since the epoch, daemon clock). */
  since?: number;
}

/** Options of {@link DockerClient.followLogs}. */
export interface FollowLogsOptions extends CallOptions {
  /** Docker's `since` (`<seconds>.<nanoseconds>`); lines at exactly that time are included. */
  since?: string;
  /** Only the last N lines already written, then the live ones; default all. */
  tail?: number;
}

/**
 * The Docker operations a reconciler needs, and nothing else. Implementations: the dockerode
 * client below, and fakes in tests. Calls are not retried (except one transparent retry of a read
 * whose pooled socket was closed), fail with typed errors from errors.ts, and may be made
 * concurrently by any number of callers. Only clients change Docker; caches are read elsewhere.
 */
export interface DockerClient {
  /** Where the daemon is, e.g. `unix:///var/run/docker.sock`; used in messages. */
  readonly endpoint: string;
  /** Per-operation counts of the calls made so far. */
  readonly calls: DockerCallCounts;

  /** Checks that the daemon answers. Throws DockerUnavailableError when it does not. */
  ping(opts?: CallOptions): Promise<void>;
  /** Containers labelled `berth.dev/managed=true` in any state, optionally narrowed by more `k=v` label filters. */
  listManagedContainers(opts?: CallOptions & { labels?: string[] }): Promise<ContainerSummary[]>;
  /** Full inspect document. Throws NotFoundError when the container does not exist. */
  inspectContainer(id: string, opts?: CallOptions): Promise<ContainerInspectInfo>;
  /**
   * Creates a container and returns its id. `berth.dev/managed=true` is always added to its labels.
   * Throws ConflictError when the name is taken, ImageNotFoundError when the image is missing.
   */
  createContainer(spec: ContainerCreateSpec, opts?: CallOptions): Promise<string>;
  /** Starts a container; succeeds if it is already running. Throws NotFoundError. */
  startContainer(id: string, opts?: CallOptions): Promise<void>;
  /** Stops a container (SIGTERM, then SIGKILL after `timeoutSeconds`, default 10); succeeds if already stopped. */
  stopContainer(id: string, opts?: CallOptions & { timeoutSeconds?: number }): Promise<void>;
  /** Removes a container. Throws NotFoundError if it is gone, ConflictError if a removal is in progress. */
  removeContainer(id: string, opts?: CallOptions & { force?: boolean; volumes?: boolean }): Promise<void>;
  /** Renames a container. Throws NotFoundError, or ConflictError when `newName` is taken. */
  renameContainer(id: string, newName: string, opts?: CallOptions): Promise<void>;
  /** Networks whose labels match all `k=v` filters (e.g. `berth.dev/managed=true`); no filters = all. */
  listNetworks(labelFilters: string[], opts?: CallOptions): Promise<NetworkSummary[]>;
  /** Creates a network (bridge by default) and returns its id. Throws ConflictError if the name exists. */
  createNetwork(spec: NetworkCreateSpec, opts?: CallOptions): Promise<string>;
  /** Removes a network. Throws NotFoundError, or ConflictError while containers are attached. */
  removeNetwork(idOrName: string, opts?: CallOptions): Promise<void>;
  /** Attaches a container to a network with DNS aliases. Throws NotFoundError. */
  connectNetwork(
    network: string,
    container: string,
    opts?: CallOptions & { aliases?: string[] },
  ): Promise<void>;
  /** The local image id (`sha256:...`) for a reference, or undefined when the image is not present. */
  inspectImage(ref: string, opts?: CallOptions): Promise<string | undefined>;
  /** Pulls an image and waits for the pull to finish (no timeout). Throws ImageNotFoundError / ImagePullError. */
  pullImage(ref: string, opts?: CallOptions & { onProgress?: ProgressListener }): Promise<void>;
  /** Builds an image from a context directory (no timeout) and returns its id. Throws ImageBuildError. */
  buildImage(spec: BuildImageSpec): Promise<string>;
  /**
   * Opens an `/events` subscription; resolves once the daemon has accepted it (that part is bounded
   * by the timeout), the stream itself has none. Close it or abort `signal` to end it.
   */
  streamEvents(opts: EventsOptions): Promise<DockerEventStream>;
  /**
   * Opens `GET /containers/{id}/logs?follow=1&stdout=1&stderr=1&timestamps=1` and resolves with the
   * raw (multiplexed) body once the daemon has answered (bounded by the timeout). The body ends when
   * the container stops; destroy it or abort `signal` to end it earlier. Uses an unpooled
   * connection. Throws NotFoundError when the container does not exist. Not retried.
   */
  followLogs(id: string, opts?: FollowLogsOptions): Promise<Readable>;
  /**
   * One stats document (`GET /containers/{id}/stats?stream=false&one-shot=true`), unvalidated.
   * Bounded by the timeout; throws NotFoundError when the container does not exist. Not retried.
   */
  containerStats(id: string, opts?: CallOptions): Promise<unknown>;
}
