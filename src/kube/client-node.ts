/**
 * The apiserver interfaces of api.ts implemented with @kubernetes/client-node: the generated
 * CustomObjectsApi, CoreV1Api and CoordinationV1Api for requests (merge patches through the
 * library's `setHeaderOptions` middleware), and its Watch for streams. Every request has a
 * deadline; failures become KubeApiError.
 */
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  V1MicroTime,
  Watch,
  setHeaderOptions,
  type CoreV1Event,
  type V1Lease,
} from "@kubernetes/client-node";
import type { EventsApi, KubeApis, LeasesApi, ProjectsApi, SecretsApi, WatchOptions } from "./api.js";
import { KubeApiError } from "./errors.js";
import {
  PROJECTS,
  type KubeEvent,
  type Lease,
  type ProjectObject,
  type ProjectPage,
  type WatchEvent,
} from "./objects.js";
import { BerthError } from "../util/errors.js";

/** Where the kubeconfig comes from. */
export interface KubeConfigSource {
  /** A kubeconfig file; default: $KUBECONFIG, ~/.kube/config, then the in-cluster service account. */
  kubeconfig?: string;
}

/** The kubeconfig cannot be used; the message says what to do. */
export class KubeConfigError extends BerthError {
  override readonly name = "KubeConfigError";
}

/** Loads a kubeconfig. Throws KubeConfigError when none is found or it names no cluster. */
export function loadKubeConfig(source: KubeConfigSource): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (source.kubeconfig) kc.loadFromFile(source.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new KubeConfigError(
      `cannot read the kubeconfig${source.kubeconfig ? ` ${source.kubeconfig}` : ""}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  // With nothing found, the library falls back to an unauthenticated http://localhost:8080.
  const fallback =
    kc.getCurrentContext() === "loaded-context" && kc.getCurrentCluster()?.server === "http://localhost:8080";
  if (!kc.getCurrentCluster() || fallback) {
    throw new KubeConfigError(
      "no Kubernetes cluster configured: set KUBECONFIG or --kubeconfig, or run in a pod with a service account",
    );
  }
  return kc;
}

/** The namespace of the in-cluster service account, when running in a pod. */
export const IN_CLUSTER_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

const MERGE_PATCH = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** Options of {@link createKubeApis}. */
export interface KubeApisOptions {
  /** Deadline of each request (not of watches); default 30 s. */
  requestTimeoutMs?: number;
}

/** Builds the apiserver interfaces from a loaded kubeconfig. */
export function createKubeApis(kc: KubeConfig, options: KubeApisOptions = {}): KubeApis {
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const call = <T>(what: string, fn: () => Promise<T>): Promise<T> => withDeadline(what, fn(), timeoutMs);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const coordination = kc.makeApiClient(CoordinationV1Api);
  const watch = new Watch(kc);
  const base = { group: PROJECTS.group, version: PROJECTS.version, plural: PROJECTS.plural };

  const projects: ProjectsApi = {
    list: (namespace, opts) =>
      call(`list projects${namespace ? ` in ${namespace}` : ""}`, async () => {
        const q = {
          ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
          ...(opts.continue !== undefined ? { _continue: opts.continue } : {}),
        };
        const raw = (
          namespace === undefined
            ? await custom.listClusterCustomObject({ ...base, ...q })
            : await custom.listNamespacedCustomObject({ ...base, namespace, ...q })
        ) as { items?: ProjectObject[]; metadata?: { resourceVersion?: string; continue?: string } };
        const page: ProjectPage = {
          items: raw.items ?? [],
          resourceVersion: raw.metadata?.resourceVersion ?? "",
        };
        if (raw.metadata?.continue) page.continue = raw.metadata.continue;
        return page;
      }),
    watch: (namespace, opts, onEvent, signal) => watchProjects(watch, namespace, opts, onEvent, signal),
    get: (namespace, name) =>
      call(
        `get project ${namespace}/${name}`,
        async () => (await custom.getNamespacedCustomObject({ ...base, namespace, name })) as ProjectObject,
      ),
    create: (object) =>
      call(
        `create project ${object.metadata.namespace}/${object.metadata.name}`,
        async () =>
          (await custom.createNamespacedCustomObject({
            ...base,
            namespace: object.metadata.namespace ?? "default",
            body: object,
          })) as ProjectObject,
      ),
    replace: (object) =>
      call(
        `update project ${object.metadata.namespace}/${object.metadata.name}`,
        async () =>
          (await custom.replaceNamespacedCustomObject({
            ...base,
            namespace: object.metadata.namespace ?? "default",
            name: object.metadata.name,
            body: object,
          })) as ProjectObject,
      ),
    patch: (namespace, name, body) =>
      call(
        `patch project ${namespace}/${name}`,
        async () =>
          (await custom.patchNamespacedCustomObject(
            { ...base, namespace, name, body },
            MERGE_PATCH,
          )) as ProjectObject,
      ),
    patchStatus: (namespace, name, body) =>
      call(
        `patch the status of project ${namespace}/${name}`,
        async () =>
          (await custom.patchNamespacedCustomObjectStatus(
            { ...base, namespace, name, body },
            MERGE_PATCH,
          )) as ProjectObject,
      ),
    delete: (namespace, name, preconditions) =>
      call(`delete project ${namespace}/${name}`, async () => {
        await custom.deleteNamespacedCustomObject({
          ...base,
          namespace,
          name,
          body: { preconditions },
        });
      }),
  };

  const events: EventsApi = {
    create: (event) =>
      call(`create event ${event.metadata.namespace}/${event.metadata.name}`, async () => {
        await core.createNamespacedEvent({ namespace: event.metadata.namespace, body: toCoreEvent(event) });
      }),
    patch: (namespace, name, body) =>
      call(`patch event ${namespace}/${name}`, async () => {
        await core.patchNamespacedEvent({ namespace, name, body }, MERGE_PATCH);
      }),
  };

  const leases: LeasesApi = {
    get: (namespace, name) =>
      call(`get lease ${namespace}/${name}`, async () => {
        try {
          return fromV1Lease(await coordination.readNamespacedLease({ namespace, name }));
        } catch (err) {
          if (err instanceof ApiException && err.code === 404) return undefined;
          throw err;
        }
      }),
    create: (lease) =>
      call(`create lease ${lease.metadata.namespace}/${lease.metadata.name}`, async () =>
        fromV1Lease(
          await coordination.createNamespacedLease({
            namespace: lease.metadata.namespace,
            body: toV1Lease(lease),
          }),
        ),
      ),
    replace: (lease) =>
      call(`update lease ${lease.metadata.namespace}/${lease.metadata.name}`, async () =>
        fromV1Lease(
          await coordination.replaceNamespacedLease({
            namespace: lease.metadata.namespace,
            name: lease.metadata.name,
            body: toV1Lease(lease),
          }),
        ),
      ),
  };

  const secrets: SecretsApi = {
    getKey: (namespace, name, key) =>
      // the message names the Secret, never its data
      call(`get secret ${namespace}/${name}`, async () => {
        try {
          const secret = await core.readNamespacedSecret({ namespace, name });
          const data = secret.data?.[key];
          if (data !== undefined) return Buffer.from(data, "base64").toString("utf8");
          return secret.stringData?.[key];
        } catch (err) {
          if (err instanceof ApiException && err.code === 404) return undefined;
          throw err;
        }
      }),
  };

  return { projects, events, leases, secrets, server: kc.getCurrentCluster()?.server ?? "" };
}

/** One watch stream of projects; see ProjectsApi.watch. */
function watchProjects(
  watch: Watch,
  namespace: string | undefined,
  opts: WatchOptions,
  onEvent: (event: WatchEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  const { group, version, plural } = PROJECTS;
  const path =
    namespace === undefined
      ? `/apis/${group}/${version}/${plural}`
      : `/apis/${group}/${version}/namespaces/${encodeURIComponent(namespace)}/${plural}`;
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return resolve();
    let abort: AbortController | undefined;
    const onAbort = () => {
      abort?.abort();
      resolve();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    const finish = (err: unknown) => {
      signal.removeEventListener("abort", onAbort);
      if (signal.aborted || err === null || err === undefined) resolve();
      else reject(toKubeError(`watch projects${namespace ? ` in ${namespace}` : ""}`, err));
    };
    watch
      .watch(
        path,
        {
          resourceVersion: opts.resourceVersion,
          timeoutSeconds: opts.timeoutSeconds,
          allowWatchBookmarks: opts.allowWatchBookmarks,
        },
        (type: string, object: unknown) => {
          if (!signal.aborted) onEvent({ type, object } as WatchEvent);
        },
        finish,
      )
      .then(
        (controller) => {
          abort = controller;
          if (signal.aborted) controller.abort();
        },
        (err: unknown) => finish(err ?? new Error("watch failed")),
      );
  });
}

/** Rejects with a status-0 KubeApiError when `promise` takes longer than `ms`. */
function withDeadline<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new KubeApiError(`${what}: the apiserver did not answer within ${ms / 1000}s`, 0, "Timeout")),
      ms,
    );
  });
  return Promise.race([
    promise.catch((err: unknown) => Promise.reject(toKubeError(what, err))),
    deadline,
  ]).finally(() => clearTimeout(timer));
}

/** Turns whatever the client threw into a KubeApiError naming the request. */
export function toKubeError(what: string, err: unknown): KubeApiError {
  if (err instanceof KubeApiError) return err;
  if (err instanceof ApiException) {
    const body = parseStatusBody((err as ApiException<unknown>).body);
    const code = body.code ?? err.code;
    const detail = body.message ?? `HTTP ${code}`;
    return new KubeApiError(`${what}: ${detail}`, code, body.reason, { cause: err });
  }
  const statusCode = (err as { statusCode?: unknown }).statusCode;
  if (typeof statusCode === "number") {
    return new KubeApiError(`${what}: HTTP ${statusCode} ${(err as Error).message}`, statusCode, undefined, {
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new KubeApiError(`${what}: ${message}`, 0, undefined, { cause: err });
}

function parseStatusBody(body: unknown): { code?: number; reason?: string; message?: string } {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body) as unknown;
    } catch {
      return body ? { message: body.slice(0, 500) } : {};
    }
  }
  if (value === null || typeof value !== "object") return {};
  const v = value as Record<string, unknown>;
  return {
    ...(typeof v["code"] === "number" ? { code: v["code"] } : {}),
    ...(typeof v["reason"] === "string" ? { reason: v["reason"] } : {}),
    ...(typeof v["message"] === "string" ? { message: v["message"] } : {}),
  };
}

function toV1Lease(lease: Lease): V1Lease {
  const s = lease.spec;
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name: lease.metadata.name,
      namespace: lease.metadata.namespace,
      ...(lease.metadata.resourceVersion ? { resourceVersion: lease.metadata.resourceVersion } : {}),
    },
    spec: {
      ...(s.holderIdentity ? { holderIdentity: s.holderIdentity } : {}),
      ...(s.leaseDurationSeconds !== undefined ? { leaseDurationSeconds: s.leaseDurationSeconds } : {}),
      // MicroTime: the apiserver wants six fractional digits, which V1MicroTime writes.
      ...(s.acquireTime ? { acquireTime: new V1MicroTime(s.acquireTime) } : {}),
      ...(s.renewTime ? { renewTime: new V1MicroTime(s.renewTime) } : {}),
      ...(s.leaseTransitions !== undefined ? { leaseTransitions: s.leaseTransitions } : {}),
    },
  };
}

function fromV1Lease(v: V1Lease): Lease {
  const s = v.spec ?? {};
  const iso = (d: Date | string | undefined) =>
    d === undefined ? null : d instanceof Date ? d.toISOString() : String(d);
  return {
    metadata: {
      name: v.metadata?.name ?? "",
      namespace: v.metadata?.namespace ?? "",
      ...(v.metadata?.resourceVersion ? { resourceVersion: v.metadata.resourceVersion } : {}),
    },
    spec: {
      holderIdentity: s.holderIdentity ?? null,
      ...(s.leaseDurationSeconds !== undefined ? { leaseDurationSeconds: s.leaseDurationSeconds } : {}),
      acquireTime: iso(s.acquireTime as Date | string | undefined),
      renewTime: iso(s.renewTime as Date | string | undefined),
      leaseTransitions: s.leaseTransitions ?? 0,
    },
  };
}

function toCoreEvent(e: KubeEvent): CoreV1Event {
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: e.metadata.name, namespace: e.metadata.namespace },
    involvedObject: e.involvedObject,
    reason: e.reason,
    message: e.message,
    type: e.type,
    count: e.count,
    firstTimestamp: new Date(e.firstTimestamp),
    lastTimestamp: new Date(e.lastTimestamp),
    source: e.source,
    reportingComponent: e.reportingComponent,
    reportingInstance: e.reportingInstance,
  };
}
