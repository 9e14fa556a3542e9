import { parseAllDocuments, type Document } from "yaml";
import { matchesSelector, parseLabelSelector } from "./label-selector.js";
import { toProjectView, type ProjectView } from "./view.js";
import {
  waitForKey,
  writeConvergence,
  type WaitOptions,
  type WaitPredicate,
  type WaitResult,
  type WaitSnapshot,
} from "./wait.js";
import { documentKey } from "../files/spec-yaml.js";
import {
  API_VERSION,
  BadRequestError,
  type DesiredReader,
  type DesiredState,
  parseProjects,
  type Phase,
  ProjectNotFoundError,
  type ProjectPatch,
  type SpecError,
  SpecInvalidError,
  type SpecWatchCondition,
  type SpecWriter,
  splitDuplicates,
  type StatusReader,
  type WriteOptions,
  type WriteResult,
} from "../api/index.js";

/** Facts about the running daemon, for `GET /api/v1/info`. */
export interface ServiceInfo {
  /** The watched directory. */
  dir: string;
  version: string;
  pid: number;
  /** The URL the HTTP server listens on. */
  http: string;
}

/** What {@link ProjectService} is built from; all injected, so tests can pass fakes. */
export interface ProjectServiceDeps {
  desired: DesiredReader;
  status: StatusReader;
  writer: SpecWriter;
  /** True once the daemon has finished its initial sync. */
  ready: () => boolean;
  info: ServiceInfo;
  /** What keeps part of the desired state from being watched (a too-large tree, an unreadable directory). */
  problems?: () => readonly SpecWatchCondition[];
  /** Wall clock for restart stamps; default `new Date()`. */
  now?: () => Date;
}

/** Filters of {@link ProjectService.list}; all optional, all must match. */
export interface ProjectFilter {
  namespace?: string;
  /** Kubernetes label selector, e.g. `team=web,tier!=db`. */
  labelSelector?: string;
  phase?: string;
}

/** Options of {@link ProjectService.apply}. */
export interface ApplyOptions {
  dryRun?: boolean;
  /** Optimistic concurrency for a request with exactly one project. */
  expectedHash?: string;
  /** The name errors give the request text; default "request". */
  source?: string;
}

/** The result of a write request: one entry per project. */
export interface WriteResponse {
  dryRun: boolean;
  results: WriteResult[];
}

const PHASES: readonly Phase[] = ["Pending", "Progressing", "Running", "Degraded", "Stopped", "Failed"];

/**
 * The operations the HTTP API, the CLI and MCP tools offer on projects: reads from the desired
 * and status caches (synchronous, cheap), and writes through the spec writer (async; they
 * return once the desired state is persisted, not when it has converged — use `waitForWrites`).
 * Errors are the typed errors of service-errors.ts and `SpecInvalidError`. Safe to call
 * concurrently; writes to one project are serialized by the writer.
 */
export class ProjectService {
  private readonly now: () => Date;

  constructor(private readonly deps: ProjectServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Daemon facts plus readiness and, when something is not watched, the conditions that say why. */
  info(): ServiceInfo & { ready: boolean; conditions?: SpecWatchCondition[] } {
    const problems = this.deps.problems?.() ?? [];
    return {
      ...this.deps.info,
      ready: this.deps.ready(),
      ...(problems.length ? { conditions: [...problems] } : {}),
    };
  }

  /** Projects matching `filter`, sorted by namespace and name. Throws BadRequestError for a bad filter. */
  list(filter: ProjectFilter = {}): ProjectView[] {
    const selector = parseLabelSelector(filter.labelSelector ?? "");
    const phase = filter.phase ? checkPhase(filter.phase) : undefined;
    return this.deps.desired
      .list()
      .map((d) => toProjectView(d, this.deps.status.get(d.key)))
      .filter(
        (v) =>
          (!filter.namespace || v.namespace === filter.namespace) &&
          matchesSelector(selector, v.labels) &&
          (!phase || v.status.phase === phase),
      )
      .sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.name, b.name));
  }

  /** One project; throws ProjectNotFoundError. */
  get(namespace: string, name: string): ProjectView {
    const key = `${namespace}/${name}`;
    const desired = this.deps.desired.get(key);
    if (!desired) throw new ProjectNotFoundError(key);
    return toProjectView(desired, this.deps.status.get(key));
  }

  /** Current errors of all spec files. */
  errors(): SpecError[] {
    return this.deps.desired.errors();
  }

  /**
   * Validates `text` (one or more YAML or JSON Project documents) and writes every project, or
   * nothing: any spec error rejects the whole request with SpecInvalidError listing them all.
   */
  async apply(text: string, options: ApplyOptions = {}): Promise<WriteResponse> {
    const source = options.source ?? "request";
    const parsed = parseProjects(text, source);
    const { unique, duplicates } = splitDuplicates(parsed.projects);
    const errors = [...parsed.errors, ...duplicates];
    if (errors.length > 0) throw new SpecInvalidError(errors);
    if (unique.length === 0) {
      throw new BadRequestError(
        "the request holds no Project documents",
        `send YAML or JSON documents with apiVersion: ${API_VERSION} and kind: Project`,
      );
    }
    if (options.expectedHash !== undefined && unique.length > 1) {
      throw new BadRequestError(`expectedHash applies to one project, the request holds ${unique.length}`);
    }
    const docs = requestDocuments(text);
    const items = unique.map((p) => {
      const key = `${p.project.metadata.namespace}/${p.project.metadata.name}`;
      const doc = docs.get(key);
      return {
        project: p.project,
        ...(doc ? { source: doc } : {}),
        ...(options.expectedHash !== undefined ? { expectedHash: options.expectedHash } : {}),
      };
    });
    const dryRun = options.dryRun === true;
    return { dryRun, results: await this.deps.writer.apply(items, { dryRun }) };
  }

  /** Removes a project's document from its file. Throws ProjectNotFoundError. */
  async delete(namespace: string, name: string, options: WriteOptions = {}): Promise<WriteResponse> {
    return this.single(options, this.deps.writer.delete(`${namespace}/${name}`, options));
  }

  /** Sets `spec.state`. Throws ProjectNotFoundError, BadRequestError for another state. */
  async setState(
    namespace: string,
    name: string,
    state: DesiredState,
    options: WriteOptions = {},
  ): Promise<WriteResponse> {
    return this.single(options, this.deps.writer.setState(`${namespace}/${name}`, state, options));
  }

  /**
   * Applies a merge patch (see project-patch.ts) to a project's spec, labels or annotations.
   * Throws ProjectNotFoundError, BadRequestError, SpecInvalidError (the patched spec is not
   * valid; nothing is written) and ConflictError (stale `expectedHash`).
   */
  async patch(
    namespace: string,
    name: string,
    patch: ProjectPatch,
    options: WriteOptions = {},
  ): Promise<WriteResponse> {
    return this.single(options, this.deps.writer.patch(`${namespace}/${name}`, patch, options));
  }

  /** Stamps `berth.dev/restartedAt` with the current time. Throws ProjectNotFoundError. */
  async restart(namespace: string, name: string, options: WriteOptions = {}): Promise<WriteResponse> {
    return this.single(options, this.deps.writer.restart(`${namespace}/${name}`, this.now(), options));
  }

  /** Waits for one project; see {@link waitForKey}. Never rejects. */
  waitFor(key: string, predicate: WaitPredicate, options: WaitOptions): Promise<WaitResult> {
    return waitForKey(this.deps.status, (k) => this.snapshot(k), key, predicate, options);
  }

  /**
   * Waits until every written project has converged (see `writeConvergence`) or one fails, within
   * one shared timeout. Progress lines name the project when there are several. Never rejects.
   */
  async waitForWrites(results: readonly WriteResult[], options: WaitOptions): Promise<WaitResult> {
    const many = results.length > 1;
    const label = (r: WriteResult, m: string) => (many ? `${r.key}: ${m}` : m);
    const stop = new AbortController();
    const abort = () => stop.abort();
    options.signal?.addEventListener("abort", abort, { once: true });
    if (options.signal?.aborted) stop.abort();
    try {
      const outcomes = await Promise.all(
        results.map(async (r) => {
          const result = await this.waitFor(r.key, writeConvergence(r), {
            timeoutMs: options.timeoutMs,
            signal: stop.signal,
            onProgress: (m) => options.onProgress?.(label(r, m)),
          });
          if (result.outcome === "failed") stop.abort(); // no point waiting for the others
          return { ...result, message: label(r, result.message) };
        }),
      );
      const worst =
        outcomes.find((o) => o.outcome === "failed") ??
        outcomes.find((o) => o.outcome === "timeout") ??
        outcomes.find((o) => o.outcome === "aborted");
      if (worst) return worst;
      return { outcome: "converged", message: outcomes.map((o) => o.message).join("; ") };
    } finally {
      options.signal?.removeEventListener("abort", abort);
    }
  }

  private snapshot(key: string): WaitSnapshot {
    return { desired: this.deps.desired.get(key), status: this.deps.status.get(key) };
  }

  private async single(options: WriteOptions, write: Promise<WriteResult>): Promise<WriteResponse> {
    return { dryRun: options.dryRun === true, results: [await write] };
  }
}

/** The request's documents by project key, so that the writer keeps the user's key order. */
function requestDocuments(text: string): Map<string, Document> {
  const docs = parseAllDocuments(text);
  const out = new Map<string, Document>();
  for (const doc of Array.isArray(docs) ? docs : []) {
    const key = documentKey(doc);
    if (key !== undefined && !out.has(key)) out.set(key, doc);
  }
  return out;
}

function checkPhase(phase: string): Phase {
  const found = PHASES.find((p) => p.toLowerCase() === phase.toLowerCase());
  if (!found) throw new BadRequestError(`unknown phase "${phase}"`, `use one of ${PHASES.join(", ")}`);
  return found;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
