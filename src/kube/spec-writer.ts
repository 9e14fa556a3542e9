/**
 * The SpecWriter of kube mode: the REST API, CLI and MCP tools edit Project custom resources
 * instead of files. Every write reads the object from the apiserver first, checks the caller's
 * `expectedHash` against its spec, and writes with the object's resourceVersion as precondition,
 * so an edit made by someone else in between is a ConflictError, never a lost update. The watch
 * picks the change up as usual; the generation a result reports is the one in the apiserver's
 * answer (kube mode has no file to hand over).
 */
import { Document } from "yaml";
import { KeyedMutex } from "../util/keyed-mutex.js";
import { withoutServerFields } from "../files/spec-yaml.js";
import type { ProjectsApi } from "./api.js";
import { resourcePath, toDesired } from "./desired.js";
import { KubeApiError } from "./errors.js";
import type { ProjectObject } from "./objects.js";
import {
  type ApplyItem,
  applyProjectPatch,
  BadRequestError,
  ConflictError,
  type DesiredState,
  MAX_ALIASES,
  parseProjects,
  ProjectNotFoundError,
  projectKey,
  type ProjectPatch,
  RESTARTED_AT_ANNOTATION,
  SpecInvalidError,
  type SpecWriter,
  splitKey,
  type WriteAction,
  type WriteOptions,
  type WriteResult,
} from "../api/index.js";

/** Writes Project custom resources; see the module comment. Methods are not retried. */
export class KubeSpecWriter implements SpecWriter {
  private readonly locks = new KeyedMutex();

  constructor(private readonly api: ProjectsApi) {}

  /** Creates each project, or replaces the spec, labels and annotations of an existing one. */
  async apply(items: readonly ApplyItem[], options: { dryRun?: boolean } = {}): Promise<WriteResult[]> {
    const keys = items.map((i) => projectKey(i.project));
    const dup = keys.find((k, i) => keys.indexOf(k) !== i);
    if (dup) throw new BadRequestError(`project ${dup} appears twice in the request`, "apply it once");
    const results: WriteResult[] = [];
    for (const [i, item] of items.entries()) {
      const key = keys[i] ?? "";
      results.push(await this.locks.run([key], () => this.applyOne(key, item, options.dryRun === true)));
    }
    return results;
  }

  async setState(key: string, state: DesiredState, options: WriteOptions = {}): Promise<WriteResult> {
    if (state !== "Running" && state !== "Stopped") {
      throw new BadRequestError(`state must be Running or Stopped, not ${JSON.stringify(state)}`);
    }
    return this.edit(key, options, (current) => ({ ...current, spec: { ...current.spec, state } }));
  }

  async restart(key: string, now: Date, options: WriteOptions = {}): Promise<WriteResult> {
    let restartedAt = "";
    const result = await this.edit(key, options, (current) => {
      const prev = current.metadata.annotations?.[RESTARTED_AT_ANNOTATION];
      restartedAt = now.toISOString();
      if (prev !== undefined && prev >= restartedAt && !Number.isNaN(Date.parse(prev))) {
        restartedAt = new Date(Date.parse(prev) + 1).toISOString();
      }
      const annotations = { ...current.metadata.annotations, [RESTARTED_AT_ANNOTATION]: restartedAt };
      return { ...current, metadata: { ...current.metadata, annotations } };
    });
    return { ...result, restartedAt };
  }

  /** Merges a (checked) patch into the object's spec, labels and annotations. */
  async patch(key: string, patch: ProjectPatch, options: WriteOptions = {}): Promise<WriteResult> {
    return this.edit(key, options, (current) => {
      const doc = {
        metadata: {
          ...(current.metadata.labels ? { labels: current.metadata.labels } : {}),
          ...(current.metadata.annotations ? { annotations: current.metadata.annotations } : {}),
        },
        spec: current.spec ?? {},
      };
      const next = applyProjectPatch(doc, patch) as {
        metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
        spec?: Record<string, unknown>;
      };
      const metadata = { ...current.metadata };
      delete metadata.labels;
      delete metadata.annotations;
      if (next.metadata?.labels) metadata.labels = next.metadata.labels;
      if (next.metadata?.annotations) metadata.annotations = next.metadata.annotations;
      return { ...current, metadata, spec: next.spec ?? {} };
    });
  }

  /** Deletes the object; its containers go once Berth has removed them (the finalizer). */
  async delete(key: string, options: WriteOptions = {}): Promise<WriteResult> {
    return this.locks.run([key], async () => {
      const current = await this.read(key);
      checkExpected(key, current, options.expectedHash);
      const result = this.result(key, "deleted", undefined, options.dryRun === true);
      if (options.dryRun) return result;
      const { namespace, name } = splitKey(key);
      const preconditions = {
        ...(current.metadata.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}),
        ...(current.metadata.uid ? { uid: current.metadata.uid } : {}),
      };
      await this.api.delete(namespace, name, preconditions).catch((err: unknown) => {
        throw mapError(key, err);
      });
      return result;
    });
  }

  private async applyOne(key: string, item: ApplyItem, dryRun: boolean): Promise<WriteResult> {
    const source = withoutServerFields(sourceValue(item)) as {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec?: Record<string, unknown>;
    };
    const { namespace, name } = item.project.metadata;
    const labels = source.metadata?.labels;
    const annotations = source.metadata?.annotations;
    const spec = source.spec ?? (item.project.spec as unknown as Record<string, unknown>);
    const hash = hashOf(key, { metadata: { name, namespace }, spec });
    let current: ProjectObject | undefined;
    try {
      current = await this.read(key);
    } catch (err) {
      if (!(err instanceof ProjectNotFoundError)) throw err;
    }
    if (!current) {
      if (item.expectedHash !== undefined) {
        throw new ConflictError(
          key,
          `does not exist, but the request expected spec hash ${item.expectedHash.slice(0, 12)}`,
        );
      }
      let generation: number | undefined;
      if (!dryRun) {
        const object: ProjectObject = {
          apiVersion: item.project.apiVersion,
          kind: item.project.kind,
          metadata: {
            name,
            namespace,
            ...(labels ? { labels } : {}),
            ...(annotations ? { annotations } : {}),
          },
          spec,
        };
        const stored = await this.api.create(object).catch((err: unknown) => {
          throw mapError(key, err);
        });
        generation = stored.metadata.generation;
      }
      return this.result(key, "created", hash, dryRun, generation);
    }
    checkExpected(key, current, item.expectedHash);
    const metadata = { ...current.metadata };
    delete metadata.labels;
    delete metadata.annotations;
    if (labels) metadata.labels = labels;
    if (annotations) metadata.annotations = annotations;
    const next: ProjectObject = { ...current, metadata, spec };
    return this.write(key, current, next, dryRun, hash);
  }

  /** Reads the object, changes it with `change`, validates and writes it. */
  private async edit(
    key: string,
    options: WriteOptions,
    change: (current: ProjectObject) => ProjectObject,
  ): Promise<WriteResult> {
    return this.locks.run([key], async () => {
      const current = await this.read(key);
      checkExpected(key, current, options.expectedHash);
      const next = change(current);
      const hash = hashOf(key, next);
      return this.write(key, current, next, options.dryRun === true, hash);
    });
  }

  private async write(
    key: string,
    current: ProjectObject,
    next: ProjectObject,
    dryRun: boolean,
    hash: string,
  ): Promise<WriteResult> {
    const same =
      JSON.stringify(current.spec) === JSON.stringify(next.spec) &&
      JSON.stringify(current.metadata.labels ?? {}) === JSON.stringify(next.metadata.labels ?? {}) &&
      JSON.stringify(current.metadata.annotations ?? {}) === JSON.stringify(next.metadata.annotations ?? {});
    const currentHash = toDesired(key, current, undefined).desired?.hash;
    if (same || (currentHash === hash && sameMeta(current, next)))
      return this.result(key, "unchanged", hash, dryRun, current.metadata.generation);
    if (dryRun) return this.result(key, "updated", hash, dryRun);
    const { status: _status, ...body } = next;
    const stored = await this.api.replace(body).catch((err: unknown) => {
      throw mapError(key, err);
    });
    return this.result(key, "updated", hash, dryRun, stored.metadata.generation);
  }

  private async read(key: string): Promise<ProjectObject> {
    const { namespace, name } = splitKey(key);
    try {
      return await this.api.get(namespace, name);
    } catch (err) {
      throw mapError(key, err);
    }
  }

  private result(
    key: string,
    action: WriteAction,
    hash: string | undefined,
    dryRun: boolean,
    generation?: number,
  ): WriteResult {
    const { namespace, name } = splitKey(key);
    return {
      key,
      namespace,
      name,
      file: resourcePath(key),
      action,
      dryRun,
      ...(hash !== undefined ? { hash } : {}),
      ...(generation !== undefined ? { generation } : {}),
    };
  }
}

function sameMeta(a: ProjectObject, b: ProjectObject): boolean {
  return (
    JSON.stringify(a.metadata.labels ?? {}) === JSON.stringify(b.metadata.labels ?? {}) &&
    JSON.stringify(a.metadata.annotations ?? {}) === JSON.stringify(b.metadata.annotations ?? {})
  );
}

function sourceValue(item: ApplyItem): unknown {
  const s = item.source;
  if (s instanceof Document) return s.toJS({ maxAliasCount: MAX_ALIASES }) as unknown;
  return s ?? item.project;
}

/**
 * The spec hash of an object about to be written, validated as file mode validates: an invalid
 * result throws SpecInvalidError and nothing is written.
 */
function hashOf(key: string, object: Pick<ProjectObject, "metadata" | "spec">): string {
  const { namespace, name } = splitKey(key);
  const doc = {
    apiVersion: "berth.dev/v1alpha1",
    kind: "Project",
    metadata: {
      name,
      namespace,
      ...(object.metadata.labels ? { labels: object.metadata.labels } : {}),
      ...(object.metadata.annotations ? { annotations: object.metadata.annotations } : {}),
    },
    spec: object.spec ?? {},
  };
  const parsed = parseProjects(JSON.stringify(doc), resourcePath(key));
  const found = parsed.projects[0];
  if (!found) throw new SpecInvalidError(parsed.errors.map((e) => ({ ...e, line: 1, column: 1 })));
  return found.hash;
}

function checkExpected(key: string, current: ProjectObject, expected: string | undefined): void {
  if (expected === undefined) return;
  const actual = toDesired(key, current, undefined).desired?.hash;
  if (actual !== expected) throw ConflictError.hashMismatch(key, expected, actual);
}

/** The service error a failed request stands for; other failures are passed on. */
function mapError(key: string, err: unknown): unknown {
  if (!(err instanceof KubeApiError)) return err;
  if (err.status === 404) {
    if (/namespaces? "?[^ ]+"? not found/.test(err.message)) {
      const { namespace } = splitKey(key);
      return new BadRequestError(
        `namespace ${namespace} does not exist`,
        `create it first: kubectl create namespace ${namespace}`,
      );
    }
    return new ProjectNotFoundError(key);
  }
  if (err.status === 409) {
    return err.reason === "AlreadyExists"
      ? new ConflictError(key, "was created by someone else meanwhile")
      : new ConflictError(key, "was changed by someone else meanwhile (its resourceVersion moved on)");
  }
  if (err.status === 422 || err.status === 400)
    return new BadRequestError(`the apiserver refused the project: ${err.message}`);
  return err;
}
