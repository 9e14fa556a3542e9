/**
 * What the project reconciler keeps about named volumes between reconciles: the resets waiting
 * for a project's reconcile, and the volumes each project declared when last converged (so that a
 * delete removes those with `retain: Delete` by the last spec's policy).
 */
import type { CallOptions } from "../runtime/docker.js";
import type { ObservedContainer } from "../runtime/observed.js";
import type { Logger } from "../util/logger.js";
import { type VolumeResetResult, VolumeResets } from "./volume-reset.js";
import type { Volumes } from "./volumes.js";
import type { DesiredProject, VolumeSpec } from "../api/index.js";

/** One per reconciler; called from its reconciles only (one at a time per key). */
export class ProjectVolumes {
  private readonly resets = new VolumeResets();
  private readonly declared = new Map<string, readonly VolumeSpec[]>();

  constructor(
    private readonly volumes: Volumes | undefined,
    private readonly logger: Logger,
  ) {}

  /** Queues a reset for `key`'s next reconcile; see {@link VolumeResets.request}. */
  requestReset(key: string, volume: string): Promise<VolumeResetResult> {
    return this.resets.request(key, volume);
  }

  /** Withdraws a queued reset; its promise rejects with `reason`. */
  cancelReset(key: string, volume: string, reason: unknown): void {
    this.resets.cancel(key, volume, reason);
  }

  /** True when resets wait for `key`. */
  hasResets(key: string): boolean {
    return this.resets.has(key);
  }

  /** Runs `key`'s resets (never throws; each settles its own request). */
  runResets(
    key: string,
    desired: DesiredProject | undefined,
    observed: readonly ObservedContainer[],
    remove: (id: string) => Promise<void>,
    call: CallOptions,
  ): Promise<void> {
    return this.resets.run(key, desired, observed, { volumes: this.volumes, remove }, call);
  }

  /** Records the volumes `key` declares now. */
  remember(key: string, volumes: readonly VolumeSpec[] | undefined): void {
    this.declared.set(key, volumes ?? []);
  }

  /**
   * After a deleted project's containers are gone: removes its `retain: Delete` volumes (when it
   * may have had any: `known`, or a remembered spec) and forgets it. Docker errors other than
   * "in use" reject.
   */
  async deleted(key: string, known: boolean, call: CallOptions): Promise<void> {
    const declared = this.declared.get(key);
    this.declared.delete(key);
    if (!this.volumes || (!known && declared === undefined)) return;
    const removed = await this.volumes.removeDeleted(key, declared, call);
    for (const name of removed) this.logger.info("volume removed", { project: key, volume: name });
  }

  /** Forgets what is remembered of `key` (a project that moved to another host keeps its volumes). */
  forget(key: string): void {
    this.declared.delete(key);
  }
}
