/**
 * `berth volume reset PROJECT VOLUME`: empties a named volume. A request waits for its project's
 * next reconcile (which the controller never runs twice at once for a key), so that no reconcile
 * creates a user of the volume while it is being emptied. The reconcile removes the containers
 * that mount the volume, removes the volume and creates it again, and the reconciles that follow
 * create the containers afresh on the empty volume.
 */
import type { CallOptions } from "../runtime/docker.js";
import { ConflictError as DockerConflictError } from "../runtime/errors.js";
import type { ObservedContainer } from "../runtime/observed.js";
import { volumeName } from "./names.js";
import type { Volumes } from "./volumes.js";
import { type DesiredProject, ServiceError } from "../api/index.js";

/** What a reset did. */
export interface VolumeResetResult {
  /** `namespace/name`. */
  project: string;
  /** The volume's name in the spec. */
  volume: string;
  /** Its Docker name. */
  dockerName: string;
  /** Spec containers whose containers were removed, to be created again on the empty volume. */
  restarted: string[];
}

interface Pending {
  volume: string;
  resolve: (r: VolumeResetResult) => void;
  reject: (err: unknown) => void;
}

/** Reset requests waiting for their project's reconcile. One per process, owned by the reconciler. */
export class VolumeResets {
  private readonly pending = new Map<string, Pending[]>();

  /** Queues a reset of `volume` of project `key`; settles when a reconcile of `key` has run it. */
  request(key: string, volume: string): Promise<VolumeResetResult> {
    return new Promise((resolve, reject) => {
      const list = this.pending.get(key) ?? [];
      list.push({ volume, resolve, reject });
      this.pending.set(key, list);
    });
  }

  /** Withdraws a request that gave up waiting (its promise is then rejected with `reason`). */
  cancel(key: string, volume: string, reason: unknown): void {
    const list = this.pending.get(key);
    const i = list?.findIndex((p) => p.volume === volume) ?? -1;
    if (!list || i < 0) return;
    list.splice(i, 1)[0]?.reject(reason);
    if (list.length === 0) this.pending.delete(key);
  }

  /** True when resets wait for `key`. */
  has(key: string): boolean {
    return this.pending.has(key);
  }

  /**
   * Runs the resets waiting for `key`, each settling its request. `remove` stops and removes one
   * container (the executor's remove). Never throws: a failed reset rejects its own request.
   */
  async run(
    key: string,
    desired: DesiredProject | undefined,
    observed: readonly ObservedContainer[],
    deps: { volumes: Volumes | undefined; remove: (id: string) => Promise<void> },
    call: CallOptions,
  ): Promise<void> {
    const list = this.pending.get(key) ?? [];
    this.pending.delete(key);
    for (const p of list) {
      try {
        p.resolve(await resetOne(key, p.volume, desired, observed, deps, call));
      } catch (err) {
        p.reject(err);
      }
    }
  }
}

async function resetOne(
  key: string,
  volume: string,
  desired: DesiredProject | undefined,
  observed: readonly ObservedContainer[],
  deps: { volumes: Volumes | undefined; remove: (id: string) => Promise<void> },
  call: CallOptions,
): Promise<VolumeResetResult> {
  if (!desired) {
    throw new ServiceError("NotFound", `project ${key} not found`, "list the projects with `berth get -A`");
  }
  const spec = desired.project.spec.volumes?.find((v) => v.name === volume);
  if (!spec || !deps.volumes) {
    const declared = (desired.project.spec.volumes ?? []).map((v) => v.name);
    const known = declared.length ? `it declares ${declared.join(", ")}` : "it declares no volumes";
    throw new ServiceError(
      "NotFound",
      `project ${key} has no volume ${JSON.stringify(volume)} (${known})`,
      "list the volumes with `berth volume ls`",
    );
  }
  const users = desired.project.spec.containers
    .filter((c) => c.volumes?.some((v) => v.volume === volume))
    .map((c) => c.name);
  const mine = observed.filter((c) => c.containerName !== undefined && users.includes(c.containerName));
  await Promise.all(mine.map((c) => deps.remove(c.id)));
  const dockerName = volumeName(key, volume);
  try {
    await deps.volumes.recreate(key, spec, call);
  } catch (err) {
    if (!(err instanceof DockerConflictError)) throw err;
    throw new ServiceError(
      "Conflict",
      `volume ${dockerName} is still in use by a container Berth did not create for ${key} (${err.message})`,
      `find it with \`docker ps -a --filter volume=${dockerName}\` and remove it, then reset again`,
      { cause: err },
    );
  }
  return {
    project: key,
    volume,
    dockerName,
    restarted: users.filter((u) => mine.some((c) => c.containerName === u)),
  };
}
