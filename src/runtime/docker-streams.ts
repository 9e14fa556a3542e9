/**
 * Consumers of Docker's streaming responses: the `/events` feed, image pull progress and build
 * output. All of them are NDJSON; see ndjson.ts for the splitting.
 */
import type { Readable } from "node:stream";
import type { DockerErrorFields } from "./errors.js";
import { ImageBuildError, ImageNotFoundError, ImagePullError, toDockerError } from "./errors.js";
import { parseNdjson } from "./ndjson.js";

/** One entry of Docker's `/events` feed, narrowed to what Berth reads. */
export interface DockerEvent {
  /** `container`, `network`, `image`, ... */
  type: string;
  /** `create`, `start`, `die`, `destroy`, `health_status: healthy`, ... */
  action: string;
  /** The object's id (Actor.ID). */
  id: string;
  /** Actor.Attributes: for containers the labels plus `name`, `image`, `exitCode`. */
  attributes: Readonly<Record<string, string>>;
  /** When it happened, milliseconds since the epoch (from `timeNano`). */
  timeMs: number;
}

/**
 * An open `/events` subscription. Iterate it once; the iteration ends when the daemon closes the
 * stream or {@link close} is called, and throws a DockerError when the connection breaks.
 */
export interface DockerEventStream extends AsyncIterable<DockerEvent> {
  /** Closes the connection; an iteration in progress ends without error. Idempotent. */
  close(): void;
}

/** Progress message of a pull or build (the daemon's JSON line, unvalidated beyond `object`). */
export type ProgressMessage = Readonly<Record<string, unknown>>;

/** Callback for progress messages; called synchronously per line, must not throw. */
export type ProgressListener = (message: ProgressMessage) => void;

/** Wraps a `/events` response body; closes it when `signal` aborts. */
export function eventStream(
  body: Readable,
  fields: DockerErrorFields,
  signal?: AbortSignal,
): DockerEventStream {
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    signal?.removeEventListener("abort", close);
    body.destroy();
  };
  signal?.addEventListener("abort", close, { once: true });
  if (signal?.aborted) close();
  async function* iterate(): AsyncGenerator<DockerEvent> {
    try {
      for await (const raw of parseNdjson(body)) {
        const event = toDockerEvent(raw);
        if (event !== undefined) yield event;
      }
    } catch (err) {
      if (closed) return;
      throw toDockerError(err, { ...fields, resource: "events", ref: "/events" });
    } finally {
      close();
    }
  }
  return { close, [Symbol.asyncIterator]: iterate };
}

/** Narrows one parsed `/events` line; undefined for lines that are not events. Pure. */
export function toDockerEvent(raw: unknown): DockerEvent | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const actor = (typeof r.Actor === "object" && r.Actor !== null ? r.Actor : {}) as Record<string, unknown>;
  const id = typeof actor.ID === "string" ? actor.ID : typeof r.id === "string" ? r.id : undefined;
  const action =
    typeof r.Action === "string" ? r.Action : typeof r.status === "string" ? r.status : undefined;
  if (id === undefined || action === undefined) return undefined;
  const attributes: Record<string, string> = {};
  if (typeof actor.Attributes === "object" && actor.Attributes !== null) {
    for (const [k, v] of Object.entries(actor.Attributes)) if (typeof v === "string") attributes[k] = v;
  }
  const timeMs =
    typeof r.timeNano === "number"
      ? Math.floor(r.timeNano / 1e6)
      : typeof r.time === "number"
        ? r.time * 1000
        : Date.now();
  return { type: typeof r.Type === "string" ? r.Type : "", action, id, attributes, timeMs };
}

/** Reads a pull's progress to the end; throws ImageNotFoundError / ImagePullError on an error line. */
export async function consumePull(
  body: Readable,
  image: string,
  fields: DockerErrorFields,
  onProgress?: ProgressListener,
): Promise<void> {
  for await (const raw of parseNdjson(body)) {
    const msg = asObject(raw);
    const error = errorText(msg);
    if (error !== undefined) {
      const f = { ...fields, daemonMessage: error };
      throw NOT_FOUND_PULL.test(error) ? new ImageNotFoundError(image, f) : new ImagePullError(image, f);
    }
    onProgress?.(msg);
  }
}

const NOT_FOUND_PULL = /not found|manifest unknown|repository does not exist|pull access denied/i;

/**
 * Reads build output to the end and returns the built image id from the `aux.ID` line, or
 * undefined if the daemon sent none. Throws ImageBuildError with the builder's error and the last
 * output lines.
 */
export async function consumeBuild(
  body: Readable,
  tag: string,
  fields: DockerErrorFields,
  onProgress?: ProgressListener,
): Promise<string | undefined> {
  let imageId: string | undefined;
  const tail: string[] = [];
  for await (const raw of parseNdjson(body)) {
    const msg = asObject(raw);
    const error = errorText(msg);
    if (error !== undefined) {
      const output = tail.join("").trim();
      const daemonMessage = output ? `${error.trim()}\n--- last build output ---\n${output}` : error.trim();
      throw new ImageBuildError(tag, { ...fields, daemonMessage });
    }
    if (typeof msg.stream === "string") {
      tail.push(msg.stream);
      if (tail.length > 20) tail.shift();
    }
    const aux = asObject(msg.aux);
    if (typeof aux.ID === "string") imageId = aux.ID;
    onProgress?.(msg);
  }
  return imageId;
}

function asObject(raw: unknown): Record<string, unknown> {
  return typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
}

function errorText(msg: Record<string, unknown>): string | undefined {
  if (typeof msg.error === "string" && msg.error.length > 0) return msg.error;
  const detail = asObject(msg.errorDetail);
  if (typeof detail.message === "string" && detail.message.length > 0) return detail.message;
  return undefined;
}
