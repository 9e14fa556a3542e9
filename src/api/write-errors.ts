/**
 * Errors of the project service and the spec writer: what a client of the HTTP API, the CLI or
 * an MCP tool did that cannot be done. Each has a stable `code` (the HTTP layer maps it to a
 * status) and a user-facing message that says what failed and what to do; `hint` repeats the
 * "what to do" part on its own for clients that show it separately.
 */

/** Stable identifiers of {@link ServiceError}s, for JSON clients. */
export type ServiceErrorCode =
  "BadRequest" | "NotFound" | "Conflict" | "PathEscape" | "FileInvalid" | "PayloadTooLarge";

/** Base class of the errors a caller caused; never retried by the service itself. */
export class ServiceError extends Error {
  override readonly name: string = "ServiceError";
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    readonly hint?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The request itself is malformed (no documents, a bad parameter, a bad state value). */
export class BadRequestError extends ServiceError {
  override readonly name = "BadRequestError";
  constructor(message: string, hint?: string) {
    super("BadRequest", message, hint);
  }
}

/** No project `namespace/name` exists in the desired state or in the watched directory. */
export class ProjectNotFoundError extends ServiceError {
  override readonly name = "ProjectNotFoundError";
  constructor(readonly key: string) {
    const hint = "list the projects with `berth get -A`";
    super("NotFound", `project ${key} not found; ${hint}`, hint);
  }
}

/**
 * Optimistic concurrency failed: the caller's `expectedHash` is not the hash of the spec on
 * disk, or the project moved while it was being written; someone else changed it since the
 * caller read it. Safe to retry after reading the project again.
 */
export class ConflictError extends ServiceError {
  override readonly name = "ConflictError";
  constructor(
    readonly key: string,
    detail: string,
  ) {
    const hint = "read the project again (berth get) and retry the change against the current spec";
    super("Conflict", `project ${key} ${detail}; ${hint}`, hint);
  }

  /** The spec hash on disk is `actual` (undefined: no valid spec), not the `expected` one. */
  static hashMismatch(key: string, expected: string, actual: string | undefined): ConflictError {
    const now = actual === undefined ? "it no longer has a valid spec" : `it now has ${short(actual)}`;
    return new ConflictError(
      key,
      `was changed by someone else: expected spec hash ${short(expected)}, ${now}`,
    );
  }
}

/** A path computed from a name or read from the index would leave the watched directory. */
export class PathEscapeError extends ServiceError {
  override readonly name = "PathEscapeError";
  constructor(
    readonly path: string,
    readonly dir: string,
  ) {
    const hint = `keep spec files (and their symlink targets) inside ${dir}`;
    super("PathEscape", `refusing to write ${path}: it is outside the watched directory ${dir}`, hint);
  }
}

/**
 * The file that defines a project cannot be edited safely (a YAML syntax error in the project's
 * own document). Fix the file by hand, then retry.
 */
export class FileInvalidError extends ServiceError {
  override readonly name = "FileInvalidError";
  constructor(
    readonly file: string,
    detail: string,
  ) {
    const hint = `fix ${file} by hand (berth validate ${file} shows where), then retry`;
    super("FileInvalid", `cannot edit ${file}: ${detail}; ${hint}`, hint);
  }
}

/** A request body is larger than the server accepts. */
export class PayloadTooLargeError extends ServiceError {
  override readonly name = "PayloadTooLargeError";
  constructor(readonly limitBytes: number) {
    const mib = (limitBytes / (1024 * 1024)).toFixed(0);
    const hint = "split the specs into several requests or files";
    super("PayloadTooLarge", `the request body is larger than ${mib} MiB; ${hint}`, hint);
  }
}

function short(hash: string): string {
  return hash.slice(0, 12);
}
