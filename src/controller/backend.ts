/**
 * The contract between the operator and a source of desired state (file mode's directory in
 * src/files, kube mode's custom resources in src/kube): what it offers the controller, and how the
 * controller runs on it (at once, or one per leadership term).
 */
import type { Registry } from "prom-client";
import type { DesiredReader, SpecWatchCondition, SpecWriter, StatusReader } from "../api/index.js";
import type { Logger } from "../util/logger.js";
import type { Controller, Enqueue, Reconcile, Source } from "./controller.js";

/** What callers may do with the running controller. */
export interface ControllerHandle {
  readonly name: string;
  /** Queues a key; dropped when no controller runs (a standby in kube mode). */
  readonly enqueue: Enqueue;
}

/**
 * Where the desired state comes from and how the controller runs: file mode's directory
 * (the default), or kube mode's custom resources with leader election (src/kube).
 */
export interface DesiredBackend {
  readonly desired: DesiredReader;
  readonly writer: SpecWriter;
  /** Sources of desired-state changes, started with each controller. */
  readonly sources: readonly Source[];
  /** True once the initial desired state is loaded. */
  ready(): boolean;
  /** Resolves once the initial desired state is loaded. */
  synced(): Promise<void>;
  /** True while the desired state's server answers (kube mode: the apiserver); default: no such server. */
  connected?(): boolean;
  /** What keeps part of the desired state from being watched; default none. */
  watchProblems?(): readonly SpecWatchCondition[];
  /**
   * Whether a project key can be this instance's (kube mode with --namespace: keys of that
   * namespace); Docker events of other keys on a shared engine are not queued. Default: all.
   */
  covers?(key: string): boolean;
  /** Wraps the reconcile (kube mode: finalizers). */
  wrapReconcile?(reconcile: Reconcile): Reconcile;
  /**
   * Runs controllers made by `make` while this instance may reconcile (kube mode: one per
   * leadership term); resolves after `signal` aborted and the last one stopped. Default: one
   * controller, started at once.
   */
  run?(make: () => Controller, signal: AbortSignal): { done: Promise<void>; handle: ControllerHandle };
  /** Called once everything has stopped. */
  close?(): Promise<void>;
  /**
   * A key of a Secret in a namespace (kube mode, for `valueFrom.secretKeyRef`); undefined when the
   * Secret or the key does not exist. Default: no Secrets.
   */
  readSecret?(
    namespace: string,
    ref: { name: string; key: string },
    signal?: AbortSignal,
  ): Promise<string | undefined>;
}

/** What a backend is built from: the parts of the operator it reads status and writes metrics with. */
export interface BackendContext {
  registry: Registry;
  /** The observed status (kube mode writes it to the objects' `/status`). */
  status: StatusReader & { keys(): string[] };
  logger: Logger;
  signal: AbortSignal;
}

/** Builds the desired-state backend once the status store is open. */
export type BackendFactory = (context: BackendContext) => Promise<DesiredBackend>;
