/**
 * Named volumes for the REST API and the CLI: `berth volume ls` (every volume Berth made, with the
 * project that claims it) and `berth volume reset` (empty one; see reconcilers/volume-reset.ts).
 */
import type { VolumeResetResult } from "../reconcilers/volume-reset.js";
import type { NamedVolume } from "../reconcilers/volumes.js";
import { type DesiredReader, keyOf, ServiceError } from "../api/index.js";

/** How long a reset waits for its project's reconcile before it gives up. */
export const VOLUME_RESET_TIMEOUT_MS = 120_000;

/** One volume as listed. */
export interface VolumeItem extends NamedVolume {
  /** True when the project exists and its spec declares the volume; false: kept from a deleted project, or dropped. */
  claimed: boolean;
  /** The spec containers that mount it (empty when not claimed). */
  users: string[];
}

/** What the volume service needs; injected so tests can pass fakes. */
export interface VolumeServiceDeps {
  list(signal?: AbortSignal): Promise<NamedVolume[]>;
  desired: Pick<DesiredReader, "get">;
  /** Queues a reset at the project's next reconcile; settles when it has run. */
  reset(key: string, volume: string): Promise<VolumeResetResult>;
  /** Withdraws a queued reset (it rejects with `reason`). */
  cancelReset(key: string, volume: string, reason: unknown): void;
  /** Queues a reconcile of `key`. */
  enqueue(key: string): void;
}

/** Lists and resets named volumes. Reads are cheap (one Docker call); a reset waits for a reconcile. */
export class VolumeService {
  constructor(
    private readonly deps: VolumeServiceDeps,
    private readonly timeoutMs = VOLUME_RESET_TIMEOUT_MS,
  ) {}

  /** Every named volume Berth made on this engine, by Docker name. */
  async list(signal?: AbortSignal): Promise<VolumeItem[]> {
    const found = await this.deps.list(signal);
    return found
      .map((v) => {
        const spec = this.deps.desired.get(v.project)?.project.spec;
        const claimed = spec?.volumes?.some((d) => d.name === v.volume) ?? false;
        const users = claimed
          ? (spec?.containers ?? [])
              .filter((c) => c.volumes?.some((m) => m.volume === v.volume))
              .map((c) => c.name)
          : [];
        return { ...v, claimed, users };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Empties `volume` of `namespace/name`: its users are removed, the volume is recreated, and the
   * reconciles that follow start them again. Throws ServiceError NotFound for an unknown project or
   * volume, Conflict when a container Berth did not make still uses it.
   */
  async reset(
    namespace: string,
    name: string,
    volume: string,
    signal?: AbortSignal,
  ): Promise<VolumeResetResult> {
    const key = keyOf(namespace, name);
    const desired = this.deps.desired.get(key);
    if (!desired) {
      throw new ServiceError("NotFound", `project ${key} not found`, "list the projects with `berth get -A`");
    }
    if (!desired.project.spec.volumes?.some((v) => v.name === volume)) {
      const declared = (desired.project.spec.volumes ?? []).map((v) => v.name);
      const known = declared.length ? `it declares ${declared.join(", ")}` : "it declares no volumes";
      throw new ServiceError(
        "NotFound",
        `project ${key} has no volume ${JSON.stringify(volume)} (${known})`,
        "list the volumes with `berth volume ls`",
      );
    }
    const done = this.deps.reset(key, volume);
    this.deps.enqueue(key);
    const timer = setTimeout(() => {
      this.deps.cancelReset(
        key,
        volume,
        new ServiceError(
          "Conflict",
          `the reset of volume ${volume} of ${key} did not run within ${this.timeoutMs / 1000} s`,
          "check that the daemon reconciles this project (berth describe), then try again",
        ),
      );
    }, this.timeoutMs);
    const onAbort = () => this.deps.cancelReset(key, volume, signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await done;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }
}
