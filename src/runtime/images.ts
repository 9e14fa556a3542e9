/**
 * Image housekeeping as image builds and garbage collection need it: tags, lists,
 * removal, and registry digests for `imagePullPolicy: Always`. A narrow interface
 * ({@link DockerImages}) that fakes can implement; the dockerode implementation is in
 * dockerode-images.ts and is part of the client `createDockerClient` returns.
 */
import type { CallOptions } from "./client.js";

/** An image as listed (GET /images/json), narrowed. */
export interface ImageSummary {
  /** `sha256:...`. */
  id: string;
  /** `repo:tag` references; empty for a dangling image. */
  repoTags: string[];
  labels: Record<string, string>;
  /** Seconds since the epoch. */
  created: number;
  /** Bytes (shared layers counted in full). */
  size: number;
}

/** The image operations. Calls are not retried; failures are the typed DockerErrors of errors.ts. */
export interface DockerImages {
  /** Tags image `id` as `repo:tag` (replacing what that reference pointed to). Throws ImageNotFoundError. */
  tagImage(id: string, repo: string, tag: string, opts?: CallOptions): Promise<void>;
  /** Images whose labels match all `k=v` filters. */
  listImages(labelFilters: string[], opts?: CallOptions): Promise<ImageSummary[]>;
  /**
   * Removes an image by id (all its tags with `force`). Throws ConflictError while a container
   * uses it, ImageNotFoundError when it is gone.
   */
  removeImage(id: string, opts?: CallOptions & { force?: boolean }): Promise<void>;
  /** The `repo@sha256:...` digests a local image was pulled with; empty when absent or built locally. */
  localRepoDigests(ref: string, opts?: CallOptions): Promise<string[]>;
  /**
   * The manifest digest (`sha256:...`) the registry serves for `ref` now
   * (GET /distribution/{ref}/json), without pulling. Throws ImagePullError when the registry
   * cannot be reached or refuses.
   */
  registryDigest(ref: string, opts?: CallOptions): Promise<string>;
}
