/**
 * A project's named volumes (`spec.volumes`): Docker volumes `berth-<ns>-<name>-<volume>`, labelled
 * with the project, the volume's spec name and its retain policy. They are created before the
 * first container that mounts them and outlive containers and operator restarts; a later project
 * of the same name mounts the same Docker volume again (adoption by name). Only a project's delete
 * with `retain: Delete` or an explicit reset removes one.
 */
import type { CallOptions } from "../runtime/docker.js";
import { ConflictError, NotFoundError } from "../runtime/errors.js";
import { LABEL_MANAGED, LABEL_PROJECT, projectKeyFromLabel, projectLabelValue } from "../runtime/labels.js";
import { type DockerVolumes, LABEL_RETAIN, LABEL_VOLUME, type VolumeSummary } from "../runtime/volumes.js";
import type { Logger } from "../util/logger.js";
import type { DockerGate } from "./gate.js";
import { volumeName } from "./names.js";
import type { VolumeRetain, VolumeSpec } from "../api/index.js";

/** A named volume as `berth volume ls` shows it. */
export interface NamedVolume {
  /** The Docker volume name. */
  name: string;
  /** `namespace/name` of the project that made it. */
  project: string;
  /** Its name in the spec. */
  volume: string;
  /** The retain policy it was created with (its label). */
  retain: VolumeRetain;
  createdAt: string;
}

/** The project volumes as the reconciler drives them (see {@link Volumes}). */
export interface VolumeEnsurer {
  /** Creates the volume unless this process has made or seen it already. */
  ensure(key: string, spec: VolumeSpec, opts: CallOptions): Promise<void>;
}

/**
 * The Docker volumes of projects. `ensure` costs one Docker call per volume and process lifetime
 * (creating a volume that exists leaves it and its data as they are); concurrent calls for one
 * volume share one creation. Calls are bounded by the operator's DockerGate when one is given.
 */
export class Volumes implements VolumeEnsurer {
  private readonly ensured = new Map<string, Promise<void>>();

  constructor(
    private readonly docker: DockerVolumes,
    private readonly logger: Logger,
    private readonly gate: Pick<DockerGate, "call"> = { call: (fn) => fn() },
  ) {}

  ensure(key: string, spec: VolumeSpec, opts: CallOptions): Promise<void> {
    const name = volumeName(key, spec.name);
    let ready = this.ensured.get(name);
    if (!ready) {
      ready = this.create(key, spec, opts);
      this.ensured.set(name, ready);
      ready.catch(() => this.ensured.delete(name));
    }
    return ready;
  }

  /** Every named volume Berth made (any project, any instance on this engine), by Docker name. */
  async list(opts: CallOptions): Promise<NamedVolume[]> {
    const found = await this.docker.listVolumes([`${LABEL_MANAGED}=true`], opts);
    return found.flatMap((v) => {
      const named = toNamed(v);
      return named ? [named] : [];
    });
  }

  /**
   * Removes the volumes of a deleted project whose policy is Delete: by `declared` (its last spec)
   * when known, else by the retain label each was created with. A volume another container still
   * uses is left, with a warning. Returns the Docker names removed.
   */
  async removeDeleted(
    key: string,
    declared: readonly VolumeSpec[] | undefined,
    opts: CallOptions,
  ): Promise<string[]> {
    const labels = [`${LABEL_MANAGED}=true`, `${LABEL_PROJECT}=${projectLabelValue(key)}`];
    const found = await this.docker.listVolumes(labels, opts);
    const policy = new Map(declared?.map((v) => [volumeName(key, v.name), v.retain]));
    const removed: string[] = [];
    for (const v of found) {
      const retain = policy.get(v.name) ?? v.labels[LABEL_RETAIN];
      if (retain !== "Delete") continue;
      try {
        await this.gate.call(() => this.docker.removeVolume(v.name, opts));
        removed.push(v.name);
      } catch (err) {
        if (err instanceof NotFoundError) continue;
        if (!(err instanceof ConflictError)) throw err;
        this.logger.warn("volume of a deleted project is still in use; left in place", {
          project: key,
          volume: v.name,
          error: err.message,
        });
      }
      this.ensured.delete(v.name);
    }
    return removed;
  }

  /**
   * Empties a volume: removes it and creates it again with the same name and labels. The caller
   * has removed every container that uses it; a ConflictError means some container still does.
   */
  async recreate(key: string, spec: VolumeSpec, opts: CallOptions): Promise<void> {
    const name = volumeName(key, spec.name);
    this.ensured.delete(name);
    try {
      await this.gate.call(() => this.docker.removeVolume(name, opts));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    await this.ensure(key, spec, opts);
  }

  private async create(key: string, spec: VolumeSpec, opts: CallOptions): Promise<void> {
    const name = volumeName(key, spec.name);
    const labels = {
      [LABEL_MANAGED]: "true",
      [LABEL_PROJECT]: projectLabelValue(key),
      [LABEL_VOLUME]: spec.name,
      [LABEL_RETAIN]: spec.retain,
    };
    await this.gate.call(() => this.docker.createVolume({ name, labels }, opts));
  }
}

function toNamed(v: VolumeSummary): NamedVolume | undefined {
  const project = projectKeyFromLabel(v.labels[LABEL_PROJECT]);
  const volume = v.labels[LABEL_VOLUME];
  if (project === undefined || volume === undefined) return undefined;
  return {
    name: v.name,
    project,
    volume,
    retain: v.labels[LABEL_RETAIN] === "Delete" ? "Delete" : "Keep",
    createdAt: v.createdAt,
  };
}
