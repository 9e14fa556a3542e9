/**
 * Server-sent events: `GET /api/v1/projects/{ns}/{name}/metrics/stream` (event `sample`) and
 * `GET /api/v1/events[?namespace=]` (events `phase`, `sync` for each dev-loop outcome, and `status` with the project as
 * `GET /api/v1/projects/{ns}/{name}` shows it after every status write), fed from the stream bus
 * and the status store. A client more
 * than {@link SSE_MAX_BUFFERED_BYTES} behind gets a `notice` event and is disconnected, so a slow
 * reader never grows memory without bound nor slows anyone else.
 */
import type { ServerResponse } from "node:http";
import { keyOf, splitKey } from "../api/index.js";
import type { StreamBus, StreamFilter, StreamMessage } from "../streams/bus.js";
import { HttpError } from "./errors.js";
import type { Router } from "./router.js";
import { API_PREFIX } from "./wire.js";

/** Unsent bytes after which an SSE client is cut off. */
export const SSE_MAX_BUFFERED_BYTES = 1024 * 1024;
/** A comment line keeps proxies from closing an idle stream. */
export const SSE_KEEPALIVE_MS = 15_000;

/** What the SSE routes read. */
export interface SseApi {
  known(projectKey: string): boolean;
  bus: StreamBus;
  /** When set, `/api/v1/events` also sends `event: status` on every status change. */
  projects?: ProjectWatch;
}

/** Status changes and the project view to send with them. */
export interface ProjectWatch {
  /** Calls `listener(key)` after every status change; returns the unsubscribe function. */
  watch(listener: (key: string) => void): () => void;
  /** The project as the REST API shows it, or undefined when it is gone. */
  view(key: string): unknown;
}

/** Registers the SSE routes. Handlers run until the client goes away or the server shuts down. */
export function registerSseRoutes(router: Router, api: SseApi): void {
  router
    .on("GET", `${API_PREFIX}/projects/:namespace/:name/metrics/stream`, ({ res, params, signal }) => {
      const key = keyOf(params["namespace"] ?? "", params["name"] ?? "");
      if (!api.known(key)) {
        throw new HttpError(404, "NotFound", `project ${key} not found`, "list projects with: berth get -A");
      }
      return stream(res, api.bus, { kind: "metrics", projectKey: key }, signal, (m) =>
        m.kind === "metrics" ? ["sample", { container: m.container, ...m.sample }] : undefined,
      );
    })
    .on("GET", `${API_PREFIX}/events`, ({ res, url, signal }) => {
      const ns = url.searchParams.get("namespace");
      const inScope = (key: string) => !ns || key.startsWith(`${ns}/`);
      const projects = api.projects;
      const statusEvents = projects
        ? (emit: Emit) =>
            projects.watch((key) => {
              if (inScope(key)) emit(["status", { project: key, view: projects.view(key) ?? null }]);
            })
        : undefined;
      return stream(
        res,
        api.bus,
        { kind: "events" },
        signal,
        (m) => {
          if (m.kind !== "events" || !inScope(m.projectKey)) return undefined;
          if ("sync" in m) return ["sync", { ...splitKey(m.projectKey), ...m.sync }];
          return ["phase", { project: m.projectKey, ...m.event }];
        },
        statusEvents,
      );
    });
}

type Emit = (event: [string, unknown]) => void;

async function stream(
  res: ServerResponse,
  bus: StreamBus,
  filter: StreamFilter,
  signal: AbortSignal,
  toEvent: (m: StreamMessage) => [string, unknown] | undefined,
  more?: (emit: Emit) => () => void,
): Promise<void> {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    "x-accel-buffering": "no",
  });
  res.write(": berth\n\n");
  let cut = false;
  let finish = (): void => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  signal.addEventListener("abort", finish, { once: true });
  res.once("close", finish);
  const emit: Emit = (event) => {
    if (cut) return;
    res.write(`event: ${event[0]}\ndata: ${JSON.stringify(event[1])}\n\n`);
    if (res.writableLength > SSE_MAX_BUFFERED_BYTES) {
      cut = true;
      const notice = { notice: "this reader fell too far behind and was disconnected" };
      res.end(`event: notice\ndata: ${JSON.stringify(notice)}\n\n`);
      finish();
    }
  };
  const offBus = bus.subscribe((m) => {
    const event = toEvent(m);
    if (event !== undefined) emit(event);
  }, filter);
  const offMore = more?.(emit);
  const off = () => {
    offBus();
    offMore?.();
  };
  const keepalive = setInterval(() => res.write(": keepalive\n\n"), SSE_KEEPALIVE_MS);
  keepalive.unref();
  try {
    await done;
  } finally {
    off();
    clearInterval(keepalive);
    signal.removeEventListener("abort", finish);
  }
  if (!res.writableEnded) res.end();
}
