import type { SpecError } from "./errors.js";
import type { Project } from "./types.js";

/**
 * Where a desired project's spec comes from: a document of a spec file, or a custom resource.
 * For messages and views only; the reconciler never reads it (it gets {@link DesiredProject.specDir}).
 */
export type ProjectOrigin =
  | {
      kind: "file";
      /** Absolute path of the spec file. */
      path: string;
      /** The line its document starts on. */
      line: number;
      /** 0-based index of the document in the file. */
      document: number;
    }
  | {
      kind: "resource";
      /** `projects.berth.dev/<namespace>/<name>`. */
      ref: string;
    };

/** How an origin reads in messages and views: `path:line`, or the resource reference. Pure. */
export function originLabel(origin: ProjectOrigin): { file: string; line: number } {
  return origin.kind === "file" ? { file: origin.path, line: origin.line } : { file: origin.ref, line: 1 };
}

/** One project as currently desired, with where its spec came from. */
export interface DesiredProject {
  /** `namespace/name` */
  key: string;
  /** The defaulted project; `metadata.generation` is set. */
  project: Project;
  /** Increments only when the spec (not metadata) changes. */
  generation: number;
  /** Canonical hash of the defaulted spec. */
  hash: string;
  /** Where the spec comes from (messages and views). */
  origin: ProjectOrigin;
  /**
   * The directory relative paths of the spec (volume hostPaths, build contexts, env files)
   * resolve against, as the backend provides it: the spec file's directory, or kube mode's
   * `--build-root`. Undefined when there is none; a relative path is then refused.
   */
  specDir: string | undefined;
  /** When the current spec was first seen (ms since the epoch): the start of convergence. */
  specChangedAt: number;
  /** When this project first appeared, RFC 3339. */
  creationTimestamp: string;
  /**
   * Problems in the newest version of its file. While non-empty the last good spec keeps
   * running and the project reports SpecValid=False with these errors.
   */
  specErrors: SpecError[];
}

/** Read-only view of the desired state; the source that fills it is its only writer. */
export interface DesiredReader {
  get(key: string): DesiredProject | undefined;
  keys(): string[];
  list(): DesiredProject[];
  /** Current errors of all spec files, including documents that never were valid. */
  errors(): SpecError[];
}

/** Why part of the spec directory is not watched. */
export type SpecWatchProblemReason = "TreeTooLarge" | "Unreadable";

/** Every {@link SpecWatchProblemReason}, for metrics that start each series at 0. */
export const SPEC_WATCH_PROBLEM_REASONS: readonly SpecWatchProblemReason[] = ["TreeTooLarge", "Unreadable"];

/**
 * A problem of the spec watcher, shaped like a status condition: `SpecsWatched=False` with a
 * reason and a message that names the place and the fix. Specs in the parts that are watched
 * keep loading.
 */
export interface SpecWatchCondition {
  readonly type: "SpecsWatched";
  readonly status: "False";
  readonly reason: SpecWatchProblemReason;
  readonly message: string;
  /** When the problem was first seen (ISO 8601). */
  readonly lastTransitionTime: string;
}
