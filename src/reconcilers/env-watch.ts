/**
 * Watches the env files and secret files containers get their environment from, and enqueues the
 * projects that use one when it changes, so that an edit replaces those containers (the reconcile
 * reads the files again; their digest is part of the spec hash). The values are never read here.
 */
import type { Logger } from "../util/logger.js";
import { PathUseWatcher } from "./path-watch.js";

/** Records which files a project's container reads its environment from (see {@link EnvFileWatcher}). */
export interface EnvFileTracker {
  /** The real paths of the files `container` of `project` reads now (replacing the last set). Synchronous. */
  track(project: string, container: string, files: readonly string[]): void;
  /** Forgets a project's files (deleted). */
  untrackProject(project: string): void;
}

/** A {@link PathUseWatcher} of env and secret files: one watcher per file, shared by its readers. */
export class EnvFileWatcher extends PathUseWatcher implements EnvFileTracker {
  constructor(logger: Logger) {
    super(logger, "an env or secret file");
  }
}
