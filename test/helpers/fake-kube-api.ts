/**
 * An in-memory apiserver for Projects, Leases and Events, for the pure-logic unit tests of
 * src/kube: resourceVersions, generation bumps on spec changes, merge patches, preconditions
 * (409), and scripted faults per method. Watches are driven by the test (see FakeWatch).
 */
import type { EventsApi, LeasesApi, ListOptions, ProjectsApi, WatchOptions } from "../../src/kube/api.js";
import { KubeApiError } from "../../src/kube/errors.js";
import type { KubeEvent, Lease, ProjectObject, ProjectPage, WatchEvent } from "../../src/kube/objects.js";

type Method = "list" | "get" | "create" | "replace" | "patch" | "patchStatus" | "delete" | "watch";

/** A scripted watch stream: the test pushes events and ends or fails it. */
export interface FakeWatch {
  options: WatchOptions;
  signal: AbortSignal;
  push(event: WatchEvent): void;
  end(): void;
  fail(err: Error): void;
}

function merge(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === "object" && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}

/** Projects stored in memory, with the calls made recorded. */
export class FakeProjects implements ProjectsApi {
  readonly objects = new Map<string, ProjectObject>();
  readonly calls: { method: Method; key: string; body?: unknown }[] = [];
  readonly watches: FakeWatch[] = [];
  /** Errors to throw, per method, in order. */
  readonly faults: Partial<Record<Method, Error[]>> = {};
  private rv = 100;

  private faultOf(method: Method): Error | undefined {
    return this.faults[method]?.shift();
  }

  private key(ns: string, name: string): string {
    return `${ns}/${name}`;
  }

  private notFound(key: string): KubeApiError {
    return new KubeApiError(`projects "${key}" not found`, 404, "NotFound");
  }

  /** Stores an object as if a user created it; returns the stored copy. */
  seed(object: ProjectObject): ProjectObject {
    const stored = structuredClone(object);
    stored.metadata.namespace ??= "default";
    stored.metadata.resourceVersion = String(++this.rv);
    stored.metadata.generation ??= 1;
    stored.metadata.uid ??= `uid-${stored.metadata.name}`;
    this.objects.set(this.key(stored.metadata.namespace, stored.metadata.name), stored);
    return structuredClone(stored);
  }

  list(_namespace: string | undefined, options: ListOptions): Promise<ProjectPage> {
    this.calls.push({ method: "list", key: "" });
    const faultList = this.faultOf("list");
    if (faultList) return Promise.reject(faultList);
    const all = [...this.objects.values()].map((o) => structuredClone(o));
    const start = Number(options.continue ?? 0);
    const limit = options.limit ?? all.length;
    const items = all.slice(start, start + limit);
    const page: ProjectPage = { items, resourceVersion: String(this.rv) };
    if (start + limit < all.length) page.continue = String(start + limit);
    return Promise.resolve(page);
  }

  watch(
    _namespace: string | undefined,
    options: WatchOptions,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    this.calls.push({ method: "watch", key: options.resourceVersion });
    const fault = this.faultOf("watch");
    if (fault) return Promise.reject(fault);
    return new Promise((resolve, reject) => {
      let open = true;
      const close = (fn: () => void) => {
        if (!open) return;
        open = false;
        fn();
      };
      signal.addEventListener("abort", () => close(resolve), { once: true });
      this.watches.push({
        options,
        signal,
        push: (e) => {
          if (open) onEvent(e);
        },
        end: () => close(resolve),
        fail: (err) => close(() => reject(err)),
      });
    });
  }

  get(namespace: string, name: string): Promise<ProjectObject> {
    const key = this.key(namespace, name);
    this.calls.push({ method: "get", key });
    const faultGet = this.faultOf("get");
    if (faultGet) return Promise.reject(faultGet);
    const o = this.objects.get(key);
    return o ? Promise.resolve(structuredClone(o)) : Promise.reject(this.notFound(key));
  }

  create(object: ProjectObject): Promise<ProjectObject> {
    const key = this.key(object.metadata.namespace ?? "default", object.metadata.name);
    this.calls.push({ method: "create", key, body: object });
    const faultCreate = this.faultOf("create");
    if (faultCreate) return Promise.reject(faultCreate);
    if (this.objects.has(key)) return Promise.reject(new KubeApiError("exists", 409, "AlreadyExists"));
    return Promise.resolve(this.seed(object));
  }

  replace(object: ProjectObject): Promise<ProjectObject> {
    const key = this.key(object.metadata.namespace ?? "default", object.metadata.name);
    this.calls.push({ method: "replace", key, body: object });
    const faultReplace = this.faultOf("replace");
    if (faultReplace) return Promise.reject(faultReplace);
    const current = this.objects.get(key);
    if (!current) return Promise.reject(this.notFound(key));
    if (object.metadata.resourceVersion !== current.metadata.resourceVersion) {
      return Promise.reject(new KubeApiError("the object has been modified", 409, "Conflict"));
    }
    return Promise.resolve(this.store(key, current, { ...structuredClone(object), status: current.status }));
  }

  patch(namespace: string, name: string, mergePatch: unknown): Promise<ProjectObject> {
    const key = this.key(namespace, name);
    this.calls.push({ method: "patch", key, body: mergePatch });
    const faultPatch = this.faultOf("patch");
    if (faultPatch) return Promise.reject(faultPatch);
    const current = this.objects.get(key);
    if (!current) return Promise.reject(this.notFound(key));
    const rv = (mergePatch as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    if (rv !== undefined && rv !== current.metadata.resourceVersion) {
      return Promise.reject(new KubeApiError("the object has been modified", 409, "Conflict"));
    }
    const next = merge(current, mergePatch) as ProjectObject;
    next.status = current.status;
    const stored = this.store(key, current, next);
    if (stored.metadata.deletionTimestamp && (stored.metadata.finalizers ?? []).length === 0) {
      this.objects.delete(key);
    }
    return Promise.resolve(stored);
  }

  patchStatus(namespace: string, name: string, mergePatch: unknown): Promise<ProjectObject> {
    const key = this.key(namespace, name);
    this.calls.push({ method: "patchStatus", key, body: mergePatch });
    const faultPatchstatus = this.faultOf("patchStatus");
    if (faultPatchstatus) return Promise.reject(faultPatchstatus);
    const current = this.objects.get(key);
    if (!current) return Promise.reject(this.notFound(key));
    const status = merge(
      current.status ?? {},
      (mergePatch as { status: unknown }).status,
    ) as ProjectObject["status"];
    const next = { ...structuredClone(current), ...(status ? { status } : {}) };
    next.metadata.resourceVersion = String(++this.rv);
    this.objects.set(key, next);
    return Promise.resolve(structuredClone(next));
  }

  delete(
    namespace: string,
    name: string,
    preconditions: { resourceVersion?: string; uid?: string },
  ): Promise<void> {
    const key = this.key(namespace, name);
    this.calls.push({ method: "delete", key, body: preconditions });
    const faultDelete = this.faultOf("delete");
    if (faultDelete) return Promise.reject(faultDelete);
    const current = this.objects.get(key);
    if (!current) return Promise.reject(this.notFound(key));
    if (preconditions.resourceVersion && preconditions.resourceVersion !== current.metadata.resourceVersion) {
      return Promise.reject(new KubeApiError("precondition failed", 409, "Conflict"));
    }
    if ((current.metadata.finalizers ?? []).length > 0) {
      current.metadata.deletionTimestamp = "2030-01-01T00:00:00Z";
      current.metadata.resourceVersion = String(++this.rv);
    } else this.objects.delete(key);
    return Promise.resolve();
  }

  /** The number of calls of `method`. */
  count(method: Method): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  private store(key: string, current: ProjectObject, next: ProjectObject): ProjectObject {
    next.metadata.resourceVersion = String(++this.rv);
    const specChanged = JSON.stringify(next.spec) !== JSON.stringify(current.spec);
    next.metadata.generation = (current.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    next.metadata.uid = current.metadata.uid;
    this.objects.set(key, next);
    return structuredClone(next);
  }
}

/** Leases in memory with optimistic concurrency. */
export class FakeLeases implements LeasesApi {
  readonly leases = new Map<string, Lease>();
  /** When set, every call fails with this error (an apiserver outage). */
  down: Error | undefined;
  private rv = 1;

  get(namespace: string, name: string): Promise<Lease | undefined> {
    if (this.down) return Promise.reject(this.down);
    const l = this.leases.get(`${namespace}/${name}`);
    return Promise.resolve(l ? structuredClone(l) : undefined);
  }

  create(lease: Lease): Promise<Lease> {
    if (this.down) return Promise.reject(this.down);
    const key = `${lease.metadata.namespace}/${lease.metadata.name}`;
    if (this.leases.has(key)) return Promise.reject(new KubeApiError("exists", 409, "AlreadyExists"));
    const stored = {
      ...structuredClone(lease),
      metadata: { ...lease.metadata, resourceVersion: String(++this.rv) },
    };
    this.leases.set(key, stored);
    return Promise.resolve(structuredClone(stored));
  }

  replace(lease: Lease): Promise<Lease> {
    if (this.down) return Promise.reject(this.down);
    const key = `${lease.metadata.namespace}/${lease.metadata.name}`;
    const current = this.leases.get(key);
    if (!current || current.metadata.resourceVersion !== lease.metadata.resourceVersion) {
      return Promise.reject(new KubeApiError("conflict", 409, "Conflict"));
    }
    const stored = {
      ...structuredClone(lease),
      metadata: { ...lease.metadata, resourceVersion: String(++this.rv) },
    };
    this.leases.set(key, stored);
    return Promise.resolve(structuredClone(stored));
  }
}

/** Events in memory. */
export class FakeEvents implements EventsApi {
  readonly events = new Map<string, KubeEvent>();
  readonly patches: { name: string; body: unknown }[] = [];

  create(event: KubeEvent): Promise<void> {
    this.events.set(event.metadata.name, structuredClone(event));
    return Promise.resolve();
  }

  patch(_namespace: string, name: string, mergePatch: unknown): Promise<void> {
    const e = this.events.get(name);
    if (!e) return Promise.reject(new KubeApiError("not found", 404, "NotFound"));
    this.patches.push({ name, body: mergePatch });
    Object.assign(e, mergePatch);
    return Promise.resolve();
  }
}

/** A Project object with one container, as the apiserver would store it. */
export function projectObject(
  name: string,
  opts: { namespace?: string; host?: string; image?: string; generation?: number; rv?: string } = {},
): ProjectObject {
  return {
    apiVersion: "berth.dev/v1alpha1",
    kind: "Project",
    metadata: {
      name,
      namespace: opts.namespace ?? "default",
      generation: opts.generation ?? 1,
      resourceVersion: opts.rv ?? "1",
      uid: `uid-${name}`,
    },
    spec: {
      ...(opts.host ? { host: opts.host } : {}),
      containers: [{ name: "web", image: opts.image ?? "berth-test/busybox:1" }],
    },
  };
}

/** Lets pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}
