/**
 * Watches the build contexts of `build:` images and enqueues the projects that use one when a
 * file in it changes, so that an edit rebuilds the image (the reconcile computes the context's
 * digest again: a change to a file `.dockerignore` excludes leaves it, and everything, as is).
 */
import type { Enqueue, Source } from "../controller/controller.js";
import type { Logger } from "../util/logger.js";
import { PathUseWatcher } from "./path-watch.js";

/** A {@link Source}: {@link track} registers the context directory a project's container builds from. */
export class BuildContextWatcher implements Source {
  private readonly paths: PathUseWatcher;

  constructor(logger: Logger) {
    this.paths = new PathUseWatcher(logger, "a build context");
  }

  start(signal: AbortSignal, enqueue: Enqueue): void {
    this.paths.start(signal, enqueue);
  }

  /** Records that `project`'s `container` builds from `dir` (a real path). Synchronous, idempotent. */
  track(project: string, container: string, dir: string): void {
    this.paths.track(project, container, [dir]);
  }

  /** Forgets every context of a project (deleted). */
  untrackProject(project: string): void {
    this.paths.untrackProject(project);
  }
}
