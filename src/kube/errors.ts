/** Errors of the Kubernetes client layer. */

/**
 * A request to the apiserver failed. `status` is the HTTP status (0 when no response came:
 * connection refused, timeout), `reason` the metav1.Status reason (`NotFound`, `Conflict`,
 * `Expired`, `Invalid`, `Forbidden`...). The message names the verb and the object.
 */
export class KubeApiError extends Error {
  override readonly name = "KubeApiError";
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** 404: the object does not exist. */
  get notFound(): boolean {
    return this.status === 404;
  }

  /** 409: a resourceVersion precondition failed or the object already exists. */
  get conflict(): boolean {
    return this.status === 409;
  }

  /** 410: the resourceVersion is too old; relist. */
  get gone(): boolean {
    return this.status === 410 || this.reason === "Expired" || this.reason === "Gone";
  }
}

/** Whether `err` is a KubeApiError with HTTP status `status`. */
export function isKubeStatus(err: unknown, status: number): err is KubeApiError {
  return err instanceof KubeApiError && err.status === status;
}

/** The watch's resourceVersion expired (410 Gone); the watcher relists. */
export class WatchExpiredError extends Error {
  override readonly name = "WatchExpiredError";
}

/** No watch event or bookmark arrived for too long; the watcher relists. */
export class WatchStalledError extends Error {
  override readonly name = "WatchStalledError";
}
