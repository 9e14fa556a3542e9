import { describeStatus } from "./view.js";
import {
  type DesiredProject,
  type ProjectStatus,
  RESTARTED_AT_ANNOTATION,
  type StatusEntry,
  type StatusReader,
  type WriteResult,
} from "../api/index.js";

/** What a wait sees of one project each time its status changes. */
export interface WaitSnapshot {
  desired: DesiredProject | undefined;
  status: StatusEntry | undefined;
}

/** The verdict of a {@link WaitPredicate}: keep waiting, done, or failed; with a progress line. */
export interface WaitCheck {
  state: "pending" | "succeeded" | "failed";
  message: string;
}

/** Decides whether a wait is over. Must be cheap and must not throw (a throw fails the wait). */
export type WaitPredicate = (snapshot: WaitSnapshot) => WaitCheck;

/** Options of a wait. */
export interface WaitOptions {
  timeoutMs: number;
  /** Ends the wait early with outcome "aborted" (e.g. the HTTP client went away). */
  signal?: AbortSignal;
  /** Called with each new progress message while pending; must not throw or block. */
  onProgress?: (message: string) => void;
}

/** How a wait ended; `message` is the last status line seen. */
export interface WaitResult {
  outcome: "converged" | "failed" | "timeout" | "aborted";
  message: string;
}

/**
 * Waits until `predicate` says succeeded or failed for `key`, re-checking after every status
 * change that `status.watch` reports (no polling), starting with a check of the current state.
 * Never rejects: a timeout, an abort or a throwing predicate are outcomes.
 */
export function waitForKey(
  status: StatusReader,
  snapshot: (key: string) => WaitSnapshot,
  key: string,
  predicate: WaitPredicate,
  options: WaitOptions,
): Promise<WaitResult> {
  return new Promise((resolve) => {
    let last = "";
    let done = false;
    let unsubscribe = (): void => {};
    const timer: { handle?: ReturnType<typeof setTimeout> } = {};
    const finish = (result: WaitResult) => {
      if (done) return;
      done = true;
      unsubscribe();
      clearTimeout(timer.handle);
      options.signal?.removeEventListener("abort", onAbort);
      resolve(result);
    };
    const check = () => {
      if (done) return;
      let verdict: WaitCheck;
      try {
        verdict = predicate(snapshot(key));
      } catch (err) {
        verdict = { state: "failed", message: `cannot check ${key}: ${(err as Error).message}` };
      }
      if (verdict.state === "pending" && verdict.message !== last) {
        try {
          options.onProgress?.(verdict.message);
        } catch {
          // a progress listener must not break the status writer that called us
        }
      }
      last = verdict.message;
      if (verdict.state === "succeeded") finish({ outcome: "converged", message: verdict.message });
      else if (verdict.state === "failed") finish({ outcome: "failed", message: verdict.message });
    };
    const onAbort = () => finish({ outcome: "aborted", message: last });
    unsubscribe = status.watch((changed) => {
      if (changed === key) check();
    });
    if (done) return unsubscribe();
    timer.handle = setTimeout(() => {
      const secs = Math.round(options.timeoutMs / 100) / 10;
      finish({ outcome: "timeout", message: `timed out after ${secs}s; last status: ${last || "none"}` });
    }, options.timeoutMs);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
    check();
  });
}

/**
 * When a write has converged. Deleted: the project is gone from the desired state and the
 * status store. Otherwise: the daemon has read the written spec, the reconciler has observed
 * its generation (and, for a restart, started the containers again), and the phase is Running,
 * or Stopped for `spec.state: Stopped`. Failed and Degraded fail the wait.
 */
export function writeConvergence(result: WriteResult): WaitPredicate {
  const pending = (message: string): WaitCheck => ({ state: "pending", message });
  if (result.action === "deleted") {
    return ({ desired, status }) => {
      if (!desired && !status) return { state: "succeeded", message: "deleted" };
      if (desired) return pending(`waiting for the daemon to read ${result.file}`);
      return pending(`removing containers (${describeStatus(status?.status ?? {})})`);
    };
  }
  return ({ desired, status }) => {
    if (!desired || (result.hash !== undefined && desired.hash !== result.hash)) {
      return pending(`waiting for the daemon to read ${result.file}`);
    }
    const annotations = desired.project.metadata.annotations ?? {};
    if (result.restartedAt !== undefined && annotations[RESTARTED_AT_ANNOTATION] !== result.restartedAt) {
      return pending(`waiting for the daemon to read ${result.file}`);
    }
    const st = status?.status;
    if (!st || (st.observedGeneration ?? 0) < desired.generation) {
      const now = st ? `; now ${describeStatus(st)}` : "";
      return pending(`waiting for the reconciler to apply generation ${desired.generation}${now}`);
    }
    const target = desired.project.spec.state === "Stopped" ? "Stopped" : "Running";
    if (result.restartedAt !== undefined && target === "Running" && !startedSince(st, result.restartedAt)) {
      return pending(`restarting containers (${describeStatus(st)})`);
    }
    if (st.phase === target) return { state: "succeeded", message: describeStatus(st) };
    if (st.phase === "Failed" || st.phase === "Degraded")
      return { state: "failed", message: describeStatus(st) };
    return pending(describeStatus(st));
  };
}

/** Whether every container started (or the project was reconciled) at or after `time`. */
function startedSince(status: ProjectStatus, time: string): boolean {
  const since = Date.parse(time);
  const started = (status.containers ?? []).map((c) => c.startedAt).filter((s): s is string => !!s);
  if (started.length === 0) return Date.parse(status.lastReconcileTime ?? "") >= since;
  // Docker reports nanoseconds; Date.parse wants at most milliseconds.
  return started.every((s) => Date.parse(s.replace(/(\.\d{3})\d+/, "$1")) >= since);
}
