/**
 * The daemon's API as the page uses it: JSON requests, SSE read through fetch, and the log
 * WebSocket. The browser's session cookie (HttpOnly, set by the login link or the login dialog)
 * authenticates all of them; the page never holds the token. The same routes the CLI uses; no
 * other host is ever contacted.
 */
import { SseParser, type SseEvent } from "./sse-parser.js";
import type { ErrorBody } from "./types.js";

/** An API call that failed: the status and the server's message and hint. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Called on a 401 so the page can ask for the token. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

/** Exchanges the API token for a session cookie (`POST /login`); the page keeps no copy. */
export async function logIn(token: string): Promise<void> {
  const res = await fetch("/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });
  if (!res.ok) throw await failure(res);
}

async function failure(res: Response): Promise<ApiError> {
  if (res.status === 401) onUnauthorized();
  let body: Partial<ErrorBody> = {};
  try {
    body = (await res.json()) as ErrorBody;
  } catch {
    // not JSON; the status says enough
  }
  return new ApiError(res.status, body.error?.message ?? `${res.status} ${res.statusText}`, body.error?.hint);
}

/** GETs JSON from an API path. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, {
    headers: { accept: "application/json" },
    ...(signal ? { signal } : {}),
  });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** Sends a write (PUT/POST/DELETE) with an optional JSON body; resolves once the spec is persisted. */
export async function send(method: string, path: string, body?: unknown): Promise<void> {
  const init: RequestInit = {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
  };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(path, init);
  if (!res.ok) throw await failure(res);
}

/** Callbacks of {@link followEvents}. */
export interface EventStreamHandlers {
  /** The stream is open (sent on every reconnect, so the page can reload what it missed). */
  onOpen(): void;
  onEvent(event: SseEvent): void;
  /** The stream broke; it is retried after `retryMs`. */
  onDown(error: unknown, retryMs: number): void;
}

/** Follows an SSE path until `signal` aborts, reconnecting with backoff (0.5 s doubling to 10 s). */
export async function followEvents(
  path: string,
  handlers: EventStreamHandlers,
  signal: AbortSignal,
): Promise<void> {
  let retryMs = 500;
  while (!signal.aborted) {
    try {
      const res = await fetch(path, {
        headers: { accept: "text/event-stream" },
        signal,
        cache: "no-store",
      });
      if (!res.ok || !res.body) throw await failure(res);
      retryMs = 500;
      handlers.onOpen();
      const parser = new SseParser();
      const decoder = new TextDecoder();
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const event of parser.feed(decoder.decode(value, { stream: true }))) handlers.onEvent(event);
      }
      throw new Error("the event stream ended");
    } catch (err) {
      if (signal.aborted) return;
      handlers.onDown(err, retryMs);
      await new Promise((r) => setTimeout(r, retryMs));
      retryMs = Math.min(retryMs * 2, 10_000);
    }
  }
}

/** Opens a WebSocket on an API path of this host (the session cookie goes with it). */
export function openSocket(path: string): WebSocket {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return new WebSocket(url);
}

/** `/api/v1/projects/{ns}/{name}` with both parts encoded. */
export function projectPath(namespace: string, name: string, rest = ""): string {
  return `/api/v1/projects/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}${rest}`;
}
