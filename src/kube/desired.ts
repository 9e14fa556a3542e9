/**
 * The desired state in kube mode: the Project objects the list+watch delivers, kept as they are
 * (for finalizers, status and writes) and as DesiredProjects (for the reconciler, REST API, CLI
 * and MCP, which read them exactly as in file mode). The watcher is the only writer.
 */
import { isDeleting, objectKey, type ProjectObject } from "./objects.js";
import type { ListWatchHandler } from "./watch.js";
import {
  API_VERSION,
  type DesiredProject,
  type DesiredReader,
  KIND,
  parseProjects,
  RESTARTED_AT_ANNOTATION,
  type SpecError,
} from "../api/index.js";

/** A change the store saw, and whether it calls for a reconcile. */
export interface StoreChange {
  key: string;
  /** True when the reconcile-relevant part changed (not for status- or label-only updates). */
  reconcile: boolean;
  /** True for keys of the initial list (queued with low priority). */
  initial: boolean;
}

/** Options of {@link KubeDesiredStore}. */
export interface KubeDesiredStoreOptions {
  /**
   * This operator's `--host-id`. Projects whose `spec.host` equals it are this instance's;
   * without a host id, the projects without `spec.host` are.
   */
  hostId: string | undefined;
  /** `--build-root`: what relative paths of the specs resolve against; none when undefined. */
  specDir?: string | undefined;
  now?: () => number;
}

/** Where errors and the REST API say a custom resource's spec comes from. */
export function resourcePath(key: string): string {
  return `projects.berth.dev/${key}`;
}

interface Entry {
  object: ProjectObject;
  /** The last valid spec of this object, if it ever had one. */
  good: DesiredProject | undefined;
  /** Problems of the newest version. */
  errors: SpecError[];
}

/**
 * Project objects by key, with their desired form. `replace` and `event` (the ListWatchHandler)
 * are for the watcher only; everything else is read-only and synchronous. A project is desired
 * here when this instance runs it (see {@link KubeDesiredStoreOptions.hostId}) and it is not
 * being deleted; an object whose newest spec breaks a rule keeps its last valid spec, with
 * `specErrors` set, exactly like a spec file with an error.
 */
export class KubeDesiredStore implements DesiredReader, ListWatchHandler {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private readonly now: () => number;

  constructor(private readonly o: KubeDesiredStoreOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Calls `listener` after every change of an object; returns an unsubscribe function. */
  subscribe(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** The object as the apiserver last sent it. */
  object(key: string): ProjectObject | undefined {
    return this.entries.get(key)?.object;
  }

  /** Keys of every object seen, whoever runs it. */
  objectKeys(): string[] {
    return [...this.entries.keys()];
  }

  /** Whether this instance runs the object: its `spec.host` is this host (or both are unset). */
  owns(object: ProjectObject): boolean {
    const host = typeof object.spec?.["host"] === "string" ? object.spec["host"] : "";
    return (host || undefined) === this.o.hostId;
  }

  get(key: string): DesiredProject | undefined {
    const e = this.entries.get(key);
    if (!e?.good || isDeleting(e.object) || !this.owns(e.object)) return undefined;
    return e.good;
  }

  keys(): string[] {
    return this.list().map((d) => d.key);
  }

  list(): DesiredProject[] {
    const out: DesiredProject[] = [];
    for (const key of this.entries.keys()) {
      const d = this.get(key);
      if (d) out.push(d);
    }
    return out;
  }

  /** Problems of the newest version of one object (empty when it is valid). */
  errorsOf(key: string): SpecError[] {
    return this.entries.get(key)?.errors ?? [];
  }

  errors(): SpecError[] {
    const out: SpecError[] = [];
    for (const e of this.entries.values()) if (this.owns(e.object)) out.push(...e.errors);
    return out;
  }

  replace(items: readonly ProjectObject[], initial: boolean): void {
    const seen = new Set<string>();
    const changes: StoreChange[] = [];
    for (const object of items) {
      const key = objectKey(object);
      seen.add(key);
      const before = this.entries.get(key)?.object;
      if (before?.metadata.resourceVersion === object.metadata.resourceVersion && !initial) continue;
      this.put(key, object);
      changes.push({ key, reconcile: initial || !before || needsReconcile(before, object), initial });
    }
    for (const key of [...this.entries.keys()]) {
      if (seen.has(key)) continue;
      this.entries.delete(key);
      changes.push({ key, reconcile: true, initial });
    }
    for (const c of changes) this.emit(c);
  }

  event(type: "ADDED" | "MODIFIED" | "DELETED", object: ProjectObject): void {
    const key = objectKey(object);
    const before = this.entries.get(key)?.object;
    if (type === "DELETED") {
      if (!before) return;
      this.entries.delete(key);
      this.emit({ key, reconcile: true, initial: false });
      return;
    }
    this.put(key, object);
    this.emit({ key, reconcile: !before || needsReconcile(before, object), initial: false });
  }

  private put(key: string, object: ProjectObject): void {
    const prev = this.entries.get(key);
    if (prev && sameInput(prev.object, object)) {
      // Status-only and finalizer-only updates: nothing to validate again.
      const rv = object.metadata.resourceVersion;
      const good = prev.good && {
        ...prev.good,
        project: { ...prev.good.project, metadata: { ...prev.good.project.metadata, resourceVersion: rv } },
      };
      this.entries.set(key, { object, good, errors: prev.errors });
      return;
    }
    const parsed = toDesired(key, object, prev?.good, this.now, this.o.specDir);
    this.entries.set(key, {
      object,
      good: parsed.desired ?? (prev?.good ? { ...prev.good, specErrors: parsed.errors } : undefined),
      errors: parsed.desired ? [] : parsed.errors,
    });
  }

  private emit(change: StoreChange): void {
    for (const l of this.listeners) l(change);
  }
}

/** Whether two versions of an object yield the same DesiredProject (apart from resourceVersion). */
function sameInput(a: ProjectObject, b: ProjectObject): boolean {
  return (
    a.metadata.generation === b.metadata.generation &&
    JSON.stringify(a.spec) === JSON.stringify(b.spec) &&
    JSON.stringify(a.metadata.labels) === JSON.stringify(b.metadata.labels) &&
    JSON.stringify(a.metadata.annotations) === JSON.stringify(b.metadata.annotations)
  );
}

/**
 * Whether an update needs a reconcile: a new generation (the spec changed), deletion begun, or
 * a new restart stamp. Status-only, label-only and finalizer-only updates do not.
 */
export function needsReconcile(before: ProjectObject, after: ProjectObject): boolean {
  return (
    before.metadata.generation !== after.metadata.generation ||
    isDeleting(before) !== isDeleting(after) ||
    before.metadata.annotations?.[RESTARTED_AT_ANNOTATION] !==
      after.metadata.annotations?.[RESTARTED_AT_ANNOTATION]
  );
}

/**
 * Validates an object with the same schema and rules as file mode (the apiserver has checked the
 * schema already; the cross-field rules are Berth's) and builds its DesiredProject. `previous`
 * keeps `specChangedAt` while the generation stays.
 */
export function toDesired(
  key: string,
  object: ProjectObject,
  previous: DesiredProject | undefined,
  now: () => number = Date.now,
  specDir?: string,
): { desired?: DesiredProject; errors: SpecError[] } {
  const file = resourcePath(key);
  const m = object.metadata;
  const doc = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: m.name,
      namespace: m.namespace ?? "default",
      ...(m.labels ? { labels: m.labels } : {}),
      ...(m.annotations ? { annotations: withoutKubectlAnnotations(m.annotations) } : {}),
    },
    spec: object.spec ?? {},
  };
  const parsed = parseProjects(JSON.stringify(doc), file);
  const found = parsed.projects[0];
  if (!found) {
    const errors = parsed.errors.map((e) => ({ ...e, line: 1, column: 1 }));
    return { errors };
  }
  const generation = m.generation ?? 1;
  const creationTimestamp = m.creationTimestamp ?? new Date(now()).toISOString();
  const project = found.project;
  project.metadata.generation = generation;
  project.metadata.creationTimestamp = creationTimestamp;
  if (m.uid) project.metadata.uid = m.uid;
  if (m.resourceVersion) project.metadata.resourceVersion = m.resourceVersion;
  const sameSpec =
    previous !== undefined && previous.generation === generation && previous.hash === found.hash;
  return {
    desired: {
      key,
      project,
      generation,
      hash: found.hash,
      origin: { kind: "resource", ref: file },
      specDir,
      specChangedAt: sameSpec ? previous.specChangedAt : now(),
      creationTimestamp,
      specErrors: [],
    },
    errors: [],
  };
}

/** `kubectl apply` keeps the whole last-applied object in an annotation; it is not Berth's business. */
function withoutKubectlAnnotations(annotations: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(annotations)) {
    if (k !== "kubectl.kubernetes.io/last-applied-configuration") out[k] = v;
  }
  return out;
}
