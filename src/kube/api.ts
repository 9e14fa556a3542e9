/**
 * The narrow interfaces through which Berth talks to the apiserver. `client-node.ts` implements
 * them with @kubernetes/client-node; unit tests pass fakes. Every method rejects with
 * KubeApiError (status 0 when the apiserver did not answer) and is not retried here: callers
 * decide (the watcher backs off, the status writer retries, writes report to the user).
 */
import type { KubeEvent, Lease, ProjectObject, ProjectPage, WatchEvent } from "./objects.js";

/** Options of one list request. */
export interface ListOptions {
  limit?: number;
  continue?: string;
}

/** Options of one watch request. */
export interface WatchOptions {
  resourceVersion: string;
  timeoutSeconds: number;
  allowWatchBookmarks: boolean;
}

/** Projects in one namespace, or in all when `namespace` is undefined. */
export interface ProjectsApi {
  list(namespace: string | undefined, options: ListOptions): Promise<ProjectPage>;
  /**
   * Streams events to `onEvent` until the server ends the stream (resolves) or it fails
   * (rejects); aborting `signal` ends it (resolves). `onEvent` is called synchronously per event.
   */
  watch(
    namespace: string | undefined,
    options: WatchOptions,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void>;
  get(namespace: string, name: string): Promise<ProjectObject>;
  create(object: ProjectObject): Promise<ProjectObject>;
  /** PUT; `object.metadata.resourceVersion` is the precondition (409 when stale). */
  replace(object: ProjectObject): Promise<ProjectObject>;
  /** JSON merge patch of the object (a `metadata.resourceVersion` in it is a precondition). */
  patch(namespace: string, name: string, mergePatch: unknown): Promise<ProjectObject>;
  /** JSON merge patch of the status subresource. */
  patchStatus(namespace: string, name: string, mergePatch: unknown): Promise<ProjectObject>;
  /** Deletes with preconditions; resolves also when the object waits for finalizers. */
  delete(
    namespace: string,
    name: string,
    preconditions: { resourceVersion?: string; uid?: string },
  ): Promise<void>;
}

/** core/v1 Events. */
export interface EventsApi {
  create(event: KubeEvent): Promise<void>;
  /** JSON merge patch of an existing event (count, lastTimestamp). */
  patch(namespace: string, name: string, mergePatch: unknown): Promise<void>;
}

/** coordination.k8s.io/v1 Leases. */
export interface LeasesApi {
  /** The lease, or undefined when it does not exist. */
  get(namespace: string, name: string): Promise<Lease | undefined>;
  create(lease: Lease): Promise<Lease>;
  /** PUT with `lease.metadata.resourceVersion` as the precondition. */
  replace(lease: Lease): Promise<Lease>;
}

/** core/v1 Secrets, read one key at a time (`env[].valueFrom.secretKeyRef`). */
export interface SecretsApi {
  /** The decoded value of `key` of Secret `namespace/name`; undefined when the Secret or key is missing. */
  getKey(namespace: string, name: string, key: string): Promise<string | undefined>;
}

/** Everything Berth calls on the apiserver. */
export interface KubeApis {
  projects: ProjectsApi;
  events: EventsApi;
  leases: LeasesApi;
  /** Secrets for secretKeyRef; absent: no Secret is read. */
  secrets?: SecretsApi;
  /** The apiserver's URL, for logs and messages. */
  server: string;
}
