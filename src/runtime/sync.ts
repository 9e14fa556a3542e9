/**
 * Copying files into running containers and restarting them in place (the dev loop): the narrow
 * interface ({@link DockerSync}) the watch-rule engine uses, so that fakes can implement it. The
 * dockerode implementation is in dockerode-sync.ts and is part of the client `createDockerClient`
 * returns.
 */
import type { Readable } from "node:stream";
import type { CallOptions } from "./client.js";

/**
 * The sync operations. Calls are not retried; failures are the typed DockerErrors of errors.ts
 * (NotFoundError for a missing container or path).
 */
export interface DockerSync {
  /**
   * Extracts an uncompressed tar stream into the container's file system at `path` (a directory
   * that exists in the container; `/` always does). Missing parent directories of entries are
   * created. Works on running and stopped containers. Bounded by the client timeout.
   */
  putArchive(container: string, path: string, tar: Readable, opts?: CallOptions): Promise<void>;
  /**
   * Restarts a container in place (`POST /containers/{id}/restart`): SIGTERM, SIGKILL after
   * `timeoutSeconds` (default 10), then start again. The container keeps its ID; it gets a new
   * start time.
   */
  restartContainer(container: string, opts?: CallOptions & { timeoutSeconds?: number }): Promise<void>;
}
