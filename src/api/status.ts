import type { Phase, ProjectStatus } from "./types.js";

/** A phase change, kept for `berth describe`. */
export interface Transition {
  time: string;
  from?: Phase;
  to: Phase;
  reason: string;
  message: string;
}

/** The status of one project as last written by the reconciler, with its recent transitions. */
export interface StatusEntry {
  status: ProjectStatus;
  transitions: Transition[];
}

/** Read-only view of observed status; the reconciler is its only writer. */
export interface StatusReader {
  get(key: string): StatusEntry | undefined;
  /** Calls `listener(key)` after every status change; returns an unsubscribe function. */
  watch(listener: (key: string) => void): () => void;
}
