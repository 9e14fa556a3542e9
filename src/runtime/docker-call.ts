import type { DockerCallCounter, DockerCallResult, DockerMetrics, DockerOp } from "./docker-metrics.js";
import type { DockerError, DockerResource } from "./errors.js";
import {
  ConflictError,
  DockerTimeoutError,
  DockerUnavailableError,
  ImageNotFoundError,
  NotFoundError,
  toDockerError,
} from "./errors.js";

/** One Docker API call as the {@link CallRunner} executes it. */
export interface CallSpec<T> {
  op: DockerOp;
  resource: DockerResource;
  /** Id, name or image reference the call is about (for error messages). */
  ref: string;
  /** The caller's signal; aborting it rejects with its reason. */
  signal?: AbortSignal | undefined;
  /** Deadline for the whole call; omit for streaming calls. */
  timeoutMs?: number | undefined;
  /** Reads are retried once when a pooled keep-alive socket turns out to be closed. */
  idempotent?: boolean;
  /** Performs the request; must honour `signal`. */
  run(signal: AbortSignal): Promise<T>;
  /** Replaces the generic typed error with a more specific one (e.g. ImagePullError). */
  refine?(err: DockerError): DockerError;
  /** Turns an expected error into a value (e.g. 304 "already started"); undefined rethrows. */
  recover?(err: DockerError): { value: T } | undefined;
}

/**
 * Runs Docker API calls with the cross-cutting rules in one place: per-call deadline, caller
 * abort, one retry of idempotent reads on a reset keep-alive socket, error typing, the per-op call
 * counter and the request/duration metrics. Shared by all operations of one client.
 */
export class CallRunner {
  constructor(
    private readonly endpoint: string,
    private readonly metrics: DockerMetrics,
    private readonly counter: DockerCallCounter,
  ) {}

  /** Executes `spec`; resolves with its value or rejects with a {@link DockerError} or the abort reason. */
  async run<T>(spec: CallSpec<T>): Promise<T> {
    try {
      return await this.once(spec);
    } catch (err) {
      if (spec.idempotent && isStaleSocket(err) && !spec.signal?.aborted) return this.once(spec);
      throw err;
    }
  }

  private async once<T>(spec: CallSpec<T>): Promise<T> {
    spec.signal?.throwIfAborted();
    this.counter.increment(spec.op);
    const started = performance.now();
    const controller = new AbortController();
    let timedOut = false;
    const timer =
      spec.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            controller.abort(new Error(`timeout after ${spec.timeoutMs} ms`));
          }, spec.timeoutMs);
    const onAbort = (): void => controller.abort(spec.signal?.reason);
    spec.signal?.addEventListener("abort", onAbort, { once: true });
    let result: DockerCallResult = "ok";
    try {
      return await spec.run(controller.signal);
    } catch (err) {
      const fields = { op: spec.op, endpoint: this.endpoint, cause: err };
      if (timedOut) {
        result = "timeout";
        throw new DockerTimeoutError(spec.timeoutMs ?? 0, fields);
      }
      if (spec.signal?.aborted) {
        result = "aborted";
        throw spec.signal.reason;
      }
      const ctx = { op: spec.op, endpoint: this.endpoint, resource: spec.resource, ref: spec.ref };
      const typed = toDockerError(err, ctx);
      const mapped = spec.refine?.(typed) ?? typed;
      result = resultOf(mapped);
      const recovered = spec.recover?.(mapped);
      if (recovered !== undefined) return recovered.value;
      throw mapped;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      spec.signal?.removeEventListener("abort", onAbort);
      this.metrics.observe(spec.op, result, (performance.now() - started) / 1000);
    }
  }
}

/** The `result` label for a typed error. Pure. */
export function resultOf(err: DockerError): DockerCallResult {
  if (err instanceof NotFoundError || err instanceof ImageNotFoundError) return "not_found";
  if (err instanceof ConflictError) return "conflict";
  if (err instanceof DockerTimeoutError) return "timeout";
  if (err instanceof DockerUnavailableError) return "unavailable";
  if (err.statusCode === 304) return "ok";
  return "error";
}

function isStaleSocket(err: unknown): boolean {
  return err instanceof DockerUnavailableError && (err.code === "ECONNRESET" || err.code === "EPIPE");
}
