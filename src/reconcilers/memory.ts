import type { PendingCreation } from "./plan.js";

const EMPTY: ReadonlyMap<string, PendingCreation> = new Map();

/**
 * What a reconciler remembers between reconciles, in memory only: the containers it stopped for
 * `state: Stopped` (started again on Running whatever their restart policy), and the containers it
 * created that the observer has not reported yet (so that a reconcile in between does not create
 * them a second time). The planner reads it; only the executor and the reconciler change it. Not
 * synchronized: the work queue never runs one project twice at once.
 */
export class ReconcileMemory {
  private readonly stopped = new Set<string>();
  private readonly pendingByKey = new Map<string, Map<string, PendingCreation>>();

  /** IDs of the containers this process stopped and has not started or removed since. */
  stoppedByUs(): ReadonlySet<string> {
    return this.stopped;
  }

  /** Records that this process stopped container `id`. */
  markStopped(id: string): void {
    this.stopped.add(id);
  }

  /** Forgets a stop, once the container was started again or removed. */
  unmarkStopped(id: string): void {
    this.stopped.delete(id);
  }

  /** The pending creations of project `key`, by spec container name. */
  pending(key: string): ReadonlyMap<string, PendingCreation> {
    return this.pendingByKey.get(key) ?? EMPTY;
  }

  /** Records a creation the observer has not reported yet. */
  expect(key: string, container: string, creation: PendingCreation): void {
    let byName = this.pendingByKey.get(key);
    if (!byName) this.pendingByKey.set(key, (byName = new Map()));
    byName.set(container, creation);
  }

  /** Forgets a pending creation (seen by the observer, expired, or removed again). */
  settle(key: string, container: string): void {
    const byName = this.pendingByKey.get(key);
    byName?.delete(container);
    if (byName?.size === 0) this.pendingByKey.delete(key);
  }

  /** Forgets every pending creation of a project (torn down). */
  forgetProject(key: string): void {
    this.pendingByKey.delete(key);
  }
}
