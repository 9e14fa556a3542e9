import { applyDocuments, type ApplyOptions, type ApplyResponse } from "./apply.js";
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
import {
  BadRequestError,
  checkProjectPatch,
  type DesiredReader,
  type DesiredState,
  type Phase,
  ProjectNotFoundError,
  type SpecError,
  type SpecWatchCondition,
  type SpecWriter,
  type StatusReader,
  type WriteOptions,
  type WriteResult,
  keyOf,
  PHASES,
} from "../api/index.js";

export type { ApplyFailure, ApplyOptions, ApplyResponse } from "./apply.js";

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

/** The result of a write request: one entry per project. */
export interface WriteResponse {
  dryRun: boolean;
  results: WriteResult[];
}

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
    const key = keyOf(namespace, name);
    const desired = this.deps.desired.get(key);
    if (!desired) throw new ProjectNotFoundError(key);
    return toProjectView(desired, this.deps.status.get(key));
  }

  /** Current errors of all spec files. */
  errors(): SpecError[] {
    return this.deps.desired.errors();
  }

  /**
   * Validates `text` (one or more YAML or JSON Project documents, parsed once) and writes its
   * projects: all or nothing by default, where any spec error rejects the whole request with
   * SpecInvalidError listing them all; or, with `atomic: false`, each on its own, reporting per
   * project what was written, unchanged or failed. See {@link ApplyOptions}.
   */
  async apply(text: string, options: ApplyOptions = {}): Promise<ApplyResponse> {
    return applyDocuments(this.deps.writer, text, options);
  }

  /** Removes a project's document from its file. Throws ProjectNotFoundError. */
  async delete(namespace: string, name: string, options: WriteOptions = {}): Promise<WriteResponse> {
    return this.single(options, this.deps.writer.delete(keyOf(namespace, name), options));
  }

  /** Sets `spec.state`. Throws ProjectNotFoundError, BadRequestError for another state. */
  async setState(
    namespace: string,
    name: string,
    state: DesiredState,
    options: WriteOptions = {},
  ): Promise<WriteResponse> {
    return this.single(options, this.deps.writer.setState(keyOf(namespace, name), state, options));
  }

  /**
   * Applies a merge patch (see api/patch.ts) to a project's spec, labels or annotations. The
   * patch is checked here, once. Throws ProjectNotFoundError, BadRequestError (a patch of other
   * fields), SpecInvalidError (the patched spec is not valid; nothing is written) and
   * ConflictError (stale `expectedHash`).
   */
  async patch(
    namespace: string,
    name: string,
    patch: unknown,
    options: WriteOptions = {},
  ): Promise<WriteResponse> {
    const checked = checkProjectPatch(patch);
    return this.single(options, this.deps.writer.patch(keyOf(namespace, name), checked, options));
  }

  /** Stamps `berth.dev/restartedAt` with the current time. Throws ProjectNotFoundError. */
  async restart(namespace: string, name: string, options: WriteOptions = {}): Promise<WriteResponse> {
    return this.single(options, this.deps.writer.restart(keyOf(namespace, name), this.now(), options));
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

function checkPhase(phase: string): Phase {
  const found = PHASES.find((p) => p.toLowerCase() === phase.toLowerCase());
  if (!found) throw new BadRequestError(`unknown phase "${phase}"`, `use one of ${PHASES.join(", ")}`);
  return found;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
