/**
 * Docker volumes as Berth manages them: the narrow interface ({@link DockerVolumes}) the volume
 * manager uses, so that fakes can implement it. The dockerode implementation is in
 * dockerode-volumes.ts and is part of the client `createDockerClient` returns.
 */
import type { CallOptions } from "./client.js";

/** `berth.dev/volume=<volume name in the spec>` on every named volume Berth creates. */
export const LABEL_VOLUME = "berth.dev/volume";
/** `berth.dev/retain=Keep|Delete`: the retain policy the volume was created with. */
export const LABEL_RETAIN = "berth.dev/retain";

/** A volume as listed (GET /volumes), narrowed. */
export interface VolumeSummary {
  name: string;
  driver: string;
  labels: Record<string, string>;
  /** Where the engine keeps it (for people; Berth never reads it). */
  mountpoint: string;
  /** When it was created, as the engine reports it (RFC 3339); "" when unknown. */
  createdAt: string;
}

/** Options of {@link DockerVolumes.createVolume}. */
export interface VolumeCreateSpec {
  name: string;
  labels: Record<string, string>;
}

/**
 * The volume operations. Calls are not retried; failures are the typed DockerErrors of errors.ts
 * (NotFoundError for a missing volume, ConflictError for one in use).
 */
export interface DockerVolumes {
  /** Volumes whose labels match all `k=v` filters; bounded by the client timeout. */
  listVolumes(labelFilters: string[], opts?: CallOptions): Promise<VolumeSummary[]>;
  /**
   * Creates a local volume; `berth.dev/managed=true` is always added to its labels. Creating one
   * that exists already succeeds and leaves it (and its labels) as it is, as Docker does.
   */
  createVolume(spec: VolumeCreateSpec, opts?: CallOptions): Promise<void>;
  /** Removes a volume. Throws NotFoundError when it is gone, ConflictError while a container uses it. */
  removeVolume(name: string, opts?: CallOptions): Promise<void>;
}
