/**
 * The narrow interfaces the project reconciler and its executor use, so that both run against
 * fakes in unit tests. The concrete classes (`Images`, `Networks`, `PortAllocator`, the dockerode
 * client) satisfy them structurally.
 */
import type { AllocationResult, PublishedPort } from "../ports/allocator.js";
import type { CallOptions, DockerClient } from "../runtime/docker.js";
import type { ContainerSpec } from "../api/index.js";

/**
 * The Docker calls that change containers: create, start, stop, remove, rename. Semantics and
 * typed errors are {@link DockerClient}'s; nothing here retries.
 */
export type DockerWriter = Pick<
  DockerClient,
  "createContainer" | "startContainer" | "stopContainer" | "removeContainer" | "renameContainer"
>;

/** Image IDs for container specs (see `Images` in images.ts). */
export interface ImageResolver {
  /**
   * The image ID a container runs, pulling or building per its policy; `buildContext` is the
   * checked real path of `spec.build.context`; `opts.project` is the project key (for build
   * labels, output and the context watcher); `opts.synced` the real paths the dev loop copies
   * into the container (left out of the build digest). Throws ImageUnavailableError for a missing image.
   */
  resolve(
    spec: ContainerSpec,
    buildContext: string | undefined,
    opts: CallOptions & { project?: string; synced?: readonly string[] },
  ): Promise<string>;
  /** Forgets a cached reference (after Docker said the image is gone). Synchronous. */
  forget(ref: string): void;
}

/** The project networks (see `Networks` in networks.ts). */
export interface NetworkEnsurer {
  /** Creates the network `name` for project `key` unless it exists. */
  ensure(name: string, key: string, opts: CallOptions): Promise<void>;
  /** Removes the network if it exists. */
  remove(name: string, opts: CallOptions): Promise<void>;
}

/** Host port allocation (see `PortAllocator` in ports/allocator.ts). */
export interface PortAllocatorLike {
  /** Assigns host ports to a project's container ports; problems come back as conflicts. */
  allocate(
    project: string,
    containers: readonly ContainerSpec[],
    options: { published?: readonly PublishedPort[] },
  ): Promise<AllocationResult>;
  /** Drops every claim of a project (deleted, or a port found taken); idempotent. */
  release(project: string): Promise<unknown>;
}
