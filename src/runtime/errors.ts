/**
 * Typed errors of the Docker runtime layer. Every error names the API operation (`op`) that
 * failed, the daemon it talked to (`endpoint`), the HTTP status when the daemon answered, and keeps
 * the original error as `cause`. Messages are written for the person running Berth: what failed,
 * where, and what to do about it.
 */
import { BerthError } from "../util/errors.js";

/** The kind of Docker object an operation was about; used in messages. */
export type DockerResource = "container" | "network" | "image" | "volume" | "exec" | "daemon" | "events";

/** Fields shared by all {@link DockerError}s. */
export interface DockerErrorFields {
  /** The DockerClient operation, e.g. `inspectContainer`. */
  op: string;
  /** Where the daemon was reached, e.g. `unix:///var/run/docker.sock`. */
  endpoint: string;
  /** HTTP status of the daemon's answer, when there was one. */
  statusCode?: number | undefined;
  /** What the daemon said (its JSON `message`), when it said something. */
  daemonMessage?: string | undefined;
  cause?: unknown;
}

/** Base class: any failed Docker API call. Callers may catch this to handle all Docker failures. */
export class DockerError extends BerthError {
  override name = "DockerError";
  /** The DockerClient operation that failed. */
  readonly op: string;
  /** Where the daemon was reached. */
  readonly endpoint: string;
  /** HTTP status of the daemon's answer, or undefined when no answer came. */
  readonly statusCode: number | undefined;
  /** The daemon's own message, if any. */
  readonly daemonMessage: string | undefined;

  constructor(message: string, fields: DockerErrorFields) {
    super(message, { cause: fields.cause });
    this.op = fields.op;
    this.endpoint = fields.endpoint;
    this.statusCode = fields.statusCode;
    this.daemonMessage = fields.daemonMessage;
  }
}

/** A container or network does not exist (HTTP 404). Usually removed outside Berth: not retried. */
export class NotFoundError extends DockerError {
  override name = "NotFoundError";
  /** What was looked for. */
  readonly resource: DockerResource;
  /** The id or name that was not found. */
  readonly ref: string;

  constructor(resource: DockerResource, ref: string, fields: DockerErrorFields) {
    super(
      `${resource} "${ref}" not found on the Docker daemon at ${fields.endpoint} (${fields.op}). ` +
        `It was removed outside Berth or never created; the next reconcile recreates it if a spec still declares it.`,
      fields,
    );
    this.resource = resource;
    this.ref = ref;
  }
}

/** The object is in a state that forbids the call (HTTP 409, or 403 for a network in use). */
export class ConflictError extends DockerError {
  override name = "ConflictError";
  /** What the conflict is about. */
  readonly resource: DockerResource;
  /** The id or name involved. */
  readonly ref: string;

  constructor(resource: DockerResource, ref: string, fields: DockerErrorFields) {
    super(
      `conflict on ${resource} "${ref}" at ${fields.endpoint} (${fields.op}): ${fields.daemonMessage ?? "conflict"}. ` +
        `Another object already uses that name or is being changed; remove the other object ` +
        `(e.g. "docker rm -f ${ref}") or retry once the pending operation has finished.`,
      fields,
    );
    this.resource = resource;
    this.ref = ref;
  }
}

/** The image is not present locally (create) or not available from its registry (pull). */
export class ImageNotFoundError extends DockerError {
  override name = "ImageNotFoundError";
  /** The image reference. */
  readonly image: string;

  constructor(image: string, fields: DockerErrorFields) {
    super(
      `image "${image}" not found on the Docker daemon at ${fields.endpoint} (${fields.op})` +
        `${fields.daemonMessage ? `: ${fields.daemonMessage}` : ""}. ` +
        `Pull, build or load it (docker pull / docker build / docker load), fix the image name, ` +
        `or set imagePullPolicy so that Berth pulls it.`,
      fields,
    );
    this.image = image;
  }
}

/** Pulling an image failed for another reason than "not found" (network, auth, disk). */
export class ImagePullError extends DockerError {
  override name = "ImagePullError";
  /** The image reference. */
  readonly image: string;

  constructor(image: string, fields: DockerErrorFields) {
    super(
      `pulling image "${image}" through the Docker daemon at ${fields.endpoint} failed: ` +
        `${fields.daemonMessage ?? "unknown error"}. Check that the daemon can reach the registry ` +
        `and is logged in to it, or make the image available locally.`,
      fields,
    );
    this.image = image;
  }
}

/** A `docker build` of a project's build context failed; the message carries the builder's error. */
export class ImageBuildError extends DockerError {
  override name = "ImageBuildError";
  /** The tag that was being built. */
  readonly tag: string;

  constructor(tag: string, fields: DockerErrorFields) {
    super(
      `building image "${tag}" on the Docker daemon at ${fields.endpoint} failed: ` +
        `${fields.daemonMessage ?? "unknown error"}. Fix the Dockerfile or the build context and save the spec again.`,
      fields,
    );
    this.tag = tag;
  }
}

/** The daemon cannot be reached (socket missing, refused, reset, or permission denied). Retryable. */
export class DockerUnavailableError extends DockerError {
  override name = "DockerUnavailableError";
  /** The system error code, e.g. `ECONNREFUSED`. */
  readonly code: string;

  constructor(code: string, fields: DockerErrorFields) {
    const hint =
      code === "EACCES" || code === "EPERM"
        ? `permission denied: run Berth as root or as a member of the "docker" group, or point it at another socket`
        : `start dockerd (e.g. "sudo systemctl start docker" or "dockerd &") or point Berth at a running daemon with --docker-host / DOCKER_HOST`;
    super(
      `cannot reach the Docker daemon at ${fields.endpoint} (${code}) during ${fields.op}: ${hint}.`,
      fields,
    );
    this.code = code;
  }
}

/** A non-streaming call got no answer within the client's timeout. Retryable. */
export class DockerTimeoutError extends DockerError {
  override name = "DockerTimeoutError";
  /** The timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number, fields: DockerErrorFields) {
    super(
      `the Docker daemon at ${fields.endpoint} did not answer ${fields.op} within ${timeoutMs} ms; ` +
        `it may be overloaded or hung. Retry; if it persists, check "docker info" and the daemon's logs.`,
      fields,
    );
    this.timeoutMs = timeoutMs;
  }
}

const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOENT",
  "EACCES",
  "EPERM",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
]);

/** Where a failed call happened, for {@link toDockerError}. */
export interface DockerErrorContext {
  op: string;
  endpoint: string;
  resource: DockerResource;
  /** The id, name or image reference the call was about. */
  ref: string;
}

/** True for network-level errors whose code means "the daemon is not there". */
export function isUnavailableCode(code: unknown): code is string {
  return typeof code === "string" && UNAVAILABLE_CODES.has(code);
}

/**
 * Maps an error from docker-modem (status code + daemon JSON, or a Node socket error) to a typed
 * {@link DockerError}. Pure; never throws. An existing DockerError is returned unchanged.
 */
export function toDockerError(err: unknown, ctx: DockerErrorContext): DockerError {
  if (err instanceof DockerError) return err;
  const e = (typeof err === "object" && err !== null ? err : {}) as {
    statusCode?: unknown;
    code?: unknown;
    json?: unknown;
    message?: unknown;
  };
  const statusCode = typeof e.statusCode === "number" ? e.statusCode : undefined;
  const daemonMessage = daemonMessageOf(e.json) ?? (statusCode ? stripModemPrefix(e.message) : undefined);
  const fields: DockerErrorFields = {
    op: ctx.op,
    endpoint: ctx.endpoint,
    statusCode,
    daemonMessage,
    cause: err,
  };
  if (statusCode === undefined && isUnavailableCode(e.code)) {
    return new DockerUnavailableError(e.code, fields);
  }
  if (statusCode === 404) {
    if (ctx.resource === "image" || /no such image/i.test(daemonMessage ?? "")) {
      return new ImageNotFoundError(imageRefOf(ctx, daemonMessage), fields);
    }
    return new NotFoundError(ctx.resource, ctx.ref, fields);
  }
  // 403 on a network removal means "network has active endpoints": a conflict, not a permission issue.
  if (statusCode === 409 || (statusCode === 403 && ctx.resource === "network")) {
    return new ConflictError(ctx.resource, ctx.ref, fields);
  }
  const detail = daemonMessage ?? (typeof e.message === "string" ? e.message : String(err));
  const status = statusCode === undefined ? "" : ` (HTTP ${statusCode})`;
  return new DockerError(
    `Docker ${ctx.op} on ${ctx.resource} "${ctx.ref}" at ${ctx.endpoint} failed${status}: ${detail}`,
    fields,
  );
}

function daemonMessageOf(json: unknown): string | undefined {
  if (typeof json === "object" && json !== null && "message" in json) {
    const m = (json as { message: unknown }).message;
    if (typeof m === "string" && m.length > 0) return m.trim();
  }
  if (typeof json === "string" && json.trim().length > 0) return json.trim();
  return undefined;
}

/** docker-modem formats "(HTTP code 404) no such container - <daemon text> "; keep the daemon text. */
function stripModemPrefix(message: unknown): string | undefined {
  if (typeof message !== "string") return undefined;
  const m = /^\(HTTP code \d+\) [^-]*- (.*)$/s.exec(message);
  return (m?.[1] ?? message).trim() || undefined;
}

function imageRefOf(ctx: DockerErrorContext, daemonMessage: string | undefined): string {
  if (ctx.resource === "image") return ctx.ref;
  const m = /no such image: (\S+)/i.exec(daemonMessage ?? "");
  return m?.[1] ?? ctx.ref;
}
