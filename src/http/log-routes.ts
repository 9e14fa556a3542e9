/**
 * Log routes: `GET /api/v1/projects/{ns}/{name}/logs` answers from the ring buffers; with
 * `?follow=true` it streams NDJSON, the matching kept lines first and then the live ones.
 */
import type { ServerResponse } from "node:http";
import { keyOf } from "../api/index.js";
import type { StreamBus } from "../streams/bus.js";
import type { LogLine } from "../streams/log-line.js";
import type { LogQuery } from "../streams/query.js";
import { HttpError } from "./errors.js";
import { parseLogQuery } from "./log-params.js";
import { parseBool } from "./params.js";
import { sendJson, startNdjson } from "./respond.js";
import type { Router } from "./router.js";
import { API_PREFIX } from "./wire.js";

/** What the log routes read. */
export interface LogApi {
  /** True when the project exists (has a spec or kept lines). */
  known(projectKey: string): boolean;
  query(projectKey: string, q: LogQuery): LogLine[];
  bus: StreamBus;
}

/** Body of a log query. */
export interface LogList {
  items: LogLine[];
}

/** A follower whose unsent output passes this many bytes is cut off with a notice. */
export const FOLLOW_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** Registers the log routes on `router`. Handlers never block the bus: slow readers are cut off. */
export function registerLogRoutes(router: Router, api: LogApi, now: () => number = Date.now): void {
  router.on("GET", `${API_PREFIX}/projects/:namespace/:name/logs`, async ({ res, url, params, signal }) => {
    const key = keyOf(params["namespace"] ?? "", params["name"] ?? "");
    const q = parseLogQuery(url.searchParams, now());
    const follow = parseBool(url.searchParams.get("follow"));
    if (follow === undefined) {
      throw new HttpError(400, "BadRequest", "invalid query parameter follow: expected true or false");
    }
    if (!api.known(key)) {
      throw new HttpError(404, "NotFound", `project ${key} not found`, "list projects with: berth get -A");
    }
    if (!follow) {
      sendJson(res, 200, { items: api.query(key, q) } satisfies LogList);
      return;
    }
    await followLogs(res, api, key, q, signal);
  });
}

async function followLogs(
  res: ServerResponse,
  api: LogApi,
  key: string,
  q: LogQuery,
  signal: AbortSignal,
): Promise<void> {
  const send = startNdjson(res);
  let backlog: LogLine[] | undefined = [];
  let cut = false;
  const live = (lines: readonly LogLine[]): void => {
    if (cut) return;
    for (const l of lines) if (matches(l, q)) send(l);
    if (res.writableLength > FOLLOW_MAX_BUFFERED_BYTES) {
      cut = true;
      send({
        notice: "this reader fell too far behind and was disconnected; reconnect with since= to resume",
      });
      res.end();
    }
  };
  const off = api.bus.subscribe(
    (m) => {
      if (m.kind !== "logs" || (q.container !== undefined && m.container !== q.container)) return;
      if (backlog !== undefined) backlog.push(...m.lines);
      else live(m.lines);
    },
    { kind: "logs", projectKey: key },
  );
  try {
    const history = api.query(key, q);
    live(history);
    const last = history.at(-1)?.ts;
    const pending = backlog;
    backlog = undefined;
    live(last === undefined ? pending : pending.filter((l) => l.ts > last));
    await new Promise<void>((resolve) => {
      if (signal.aborted || cut) return resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
      res.once("close", () => resolve());
    });
  } finally {
    off();
    if (!res.writableEnded) res.end();
  }
}

function matches(l: LogLine, q: LogQuery): boolean {
  if (q.stream !== undefined && l.stream !== q.stream) return false;
  if (q.until !== undefined && l.ts >= q.until) return false;
  return q.grep === undefined || q.grep.test(l.line);
}
