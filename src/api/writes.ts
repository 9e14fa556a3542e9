/**
 * The write side of the desired state: what a write does to each project, and the SpecWriter
 * contract that file mode (src/files) and kube mode (src/kube) implement and the project service
 * calls.
 */
import type { Document } from "yaml";
import type { ProjectPatch } from "./patch.js";
import type { DesiredState, Project } from "./types.js";

/** What a write did to one project. */
export type WriteAction = "created" | "updated" | "unchanged" | "deleted";

/** The outcome of a write for one project: the file written and the spec it now holds. */
export interface WriteResult {
  key: string;
  namespace: string;
  name: string;
  /** Absolute path of the spec file. */
  file: string;
  action: WriteAction;
  /** Spec hash of the project as written (absent after a delete). */
  hash?: string;
  /** The `berth.dev/restartedAt` value a restart wrote. */
  restartedAt?: string;
  /**
   * The generation the desired state gives the spec as written: read back from the desired store
   * (file mode) or the apiserver's answer (kube mode), never computed. Absent after a delete, in
   * a dry run that would change the spec, and when the desired state has not taken the write yet.
   */
  generation?: number;
  /** True when nothing was written because the caller asked for a dry run. */
  dryRun: boolean;
}

/** One project to apply: the validated project and the user's document for it. */
export interface ApplyItem {
  project: Project;
  /** The user's document (keeps its key order and, for a new file, its comments); default `project`. */
  source?: Document | unknown;
  /** Optimistic concurrency: fail with ConflictError unless the current spec has this hash. */
  expectedHash?: string;
}

/** Options of a single-project write. */
export interface WriteOptions {
  /** Optimistic concurrency: fail with ConflictError unless the current spec has this hash. */
  expectedHash?: string;
  /** Compute the result without writing. */
  dryRun?: boolean;
}

/**
 * Writes desired state. `FileSpecWriter` (src/files) is the file-mode implementation and
 * `KubeSpecWriter` (src/kube) the custom-resource one. Every method may throw the errors of
 * write-errors.ts, and returns once the desired state is persisted.
 */
export interface SpecWriter {
  /**
   * Writes every item, or (as far as the backend can undo a write) none: the first failure
   * rejects the call. One result per item, in order. The project service applies items one by
   * one through this method when a request asks for per-project results.
   */
  apply(items: readonly ApplyItem[], options?: { dryRun?: boolean }): Promise<WriteResult[]>;
  setState(key: string, state: DesiredState, options?: WriteOptions): Promise<WriteResult>;
  restart(key: string, now: Date, options?: WriteOptions): Promise<WriteResult>;
  delete(key: string, options?: WriteOptions): Promise<WriteResult>;
  /**
   * Applies a merge patch (see patch.ts: RFC 7386 on spec and metadata labels and annotations,
   * named list items patched by name) to project `key`. `patch` has passed `checkProjectPatch`
   * (the project service checks it once; writers do not check it again). The result is
   * validated before anything is written: SpecInvalidError lists its errors; BadRequestError for
   * a named-item patch of the wrong type; ProjectNotFoundError, ConflictError (stale `expectedHash`).
   */
  patch(key: string, patch: ProjectPatch, options?: WriteOptions): Promise<WriteResult>;
}
