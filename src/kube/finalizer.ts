/**
 * The `berth.dev/cleanup` finalizer around the project reconcile. Before a project this instance
 * runs is reconciled, the finalizer is added, so that deleting the object waits for Berth. A
 * project being deleted is not desired (see KubeDesiredStore), so the reconcile tears it down
 * (containers, network, ports); once that returned without error, the finalizer is removed and
 * the apiserver deletes the object. Both patches carry the object's resourceVersion: a 409 means
 * a newer version is on its way through the watch, and the key is retried with backoff.
 */
import { splitKey } from "../api/index.js";
import type { Reconcile } from "../controller/controller.js";
import type { Logger } from "../util/logger.js";
import type { ProjectsApi } from "./api.js";
import type { KubeDesiredStore } from "./desired.js";
import { KubeApiError } from "./errors.js";
import { CLEANUP_FINALIZER, hasCleanupFinalizer, isDeleting, type ProjectObject } from "./objects.js";

/** What {@link withCleanupFinalizer} needs. */
export interface FinalizerDeps {
  api: Pick<ProjectsApi, "patch">;
  store: KubeDesiredStore;
  logger: Logger;
  /** Called once a deleted project's finalizer has been removed. */
  onReleased?: (key: string, object: ProjectObject) => void;
}

/** Wraps `reconcile` with finalizer handling; see the module comment. */
export function withCleanupFinalizer(reconcile: Reconcile, deps: FinalizerDeps): Reconcile {
  return async (key, signal) => {
    const before = deps.store.object(key);
    if (before && deps.store.owns(before) && !isDeleting(before) && !hasCleanupFinalizer(before)) {
      await setFinalizers(deps, key, before, [...(before.metadata.finalizers ?? []), CLEANUP_FINALIZER]);
    }
    // Only a reconcile that began after deletion did the teardown; a deletion that arrived
    // meanwhile has queued the key again.
    const tornDown = before !== undefined && isDeleting(before);
    const result = await reconcile(key, signal);
    const after = deps.store.object(key);
    if (tornDown && after && isDeleting(after) && hasCleanupFinalizer(after) && deps.store.owns(after)) {
      const rest = (after.metadata.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER);
      await setFinalizers(deps, key, after, rest);
      deps.logger.info("project cleaned up; finalizer removed", { project: key });
      deps.onReleased?.(key, after);
    }
    return result;
  };
}

async function setFinalizers(
  deps: FinalizerDeps,
  key: string,
  object: ProjectObject,
  finalizers: string[],
): Promise<void> {
  const { namespace, name } = splitKey(key);
  try {
    await deps.api.patch(namespace, name, {
      metadata: { finalizers, resourceVersion: object.metadata.resourceVersion },
    });
  } catch (err) {
    // Deleted meanwhile: the watch brings the DELETED event, which reconciles the key again.
    if (err instanceof KubeApiError && err.notFound) return;
    throw err;
  }
}
