/**
 * WebSocket `/api/v1/projects/{ns}/{name}/logs/stream?container=&tail=&grep=&stream=`: the matching
 * kept lines, then live ones, as text messages `{"lines": [...]}`. A client whose unsent data
 * passes {@link WS_MAX_BUFFERED_BYTES} gets `{"notice": ...}` and is closed (code 4008): memory stays
 * bounded and other clients never wait for it.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { keyOf } from "../api/index.js";
import type { LogLine } from "../streams/log-line.js";
import type { LogQuery } from "../streams/query.js";
import { errorResponse } from "./errors.js";
import { parseLogQuery } from "./log-params.js";
import type { LogApi } from "./log-routes.js";
import { API_PREFIX } from "./wire.js";

/** Unsent bytes after which a WebSocket client is dropped. */
export const WS_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** How long a dropped client may take to read its backlog and the close frame before the socket is destroyed. */
export const WS_CLOSE_GRACE_MS = 30_000;
/** Close code sent to a client that fell too far behind. */
export const WS_CLOSE_TOO_SLOW = 4008;

/** Handles an upgrade request; returns false when the path is not one of its endpoints. */
export type UpgradeHandler = (
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  url: URL,
  shutdown: AbortSignal,
) => boolean;

const PATH = new RegExp(`^${API_PREFIX}/projects/([^/]+)/([^/]+)/logs/stream/?$`);

/** Creates the log WebSocket endpoint over `api` (the same reads as the REST log route). */
export function createLogSocketHandler(api: LogApi, now: () => number = Date.now): UpgradeHandler {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  return (req, socket, head, url, shutdown) => {
    const m = PATH.exec(url.pathname);
    if (!m) return false;
    let key: string;
    let q: LogQuery;
    try {
      key = keyOf(decodeURIComponent(m[1] ?? ""), decodeURIComponent(m[2] ?? ""));
      q = parseLogQuery(url.searchParams, now());
      if (!api.known(key)) return reject(socket, 404, `project ${key} not found`);
    } catch (err) {
      const { status, body } = errorResponse(err);
      return reject(socket, status, body.error.message);
    }
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, api, key, q, shutdown));
    return true;
  };
}

function serve(ws: WebSocket, api: LogApi, key: string, q: LogQuery, shutdown: AbortSignal): void {
  let backlog: LogLine[] | undefined = [];
  let cut = false;
  const send = (lines: readonly LogLine[]): void => {
    if (cut || ws.readyState !== ws.OPEN) return;
    const matching = lines.filter(
      (l) =>
        (q.stream === undefined || l.stream === q.stream) &&
        (q.until === undefined || l.ts < q.until) &&
        (q.grep === undefined || q.grep.test(l.line)),
    );
    if (matching.length > 0) ws.send(JSON.stringify({ lines: matching }));
    if (ws.bufferedAmount > WS_MAX_BUFFERED_BYTES) {
      cut = true;
      ws.send(JSON.stringify({ notice: "this reader fell too far behind and was disconnected" }));
      ws.close(WS_CLOSE_TOO_SLOW, "too slow");
      setTimeout(() => ws.terminate(), WS_CLOSE_GRACE_MS).unref();
      off();
    }
  };
  const off = api.bus.subscribe(
    (m) => {
      if (m.kind !== "logs" || (q.container !== undefined && m.container !== q.container)) return;
      if (backlog !== undefined) backlog.push(...m.lines);
      else send(m.lines);
    },
    { kind: "logs", projectKey: key },
  );
  const history = api.query(key, q);
  send(history);
  const last = history.at(-1)?.ts;
  const pending = backlog;
  backlog = undefined;
  send(last === undefined ? pending : pending.filter((l) => l.ts > last));
  const onShutdown = (): void => ws.close(1001, "server shutting down");
  shutdown.addEventListener("abort", onShutdown, { once: true });
  ws.on("close", () => {
    off();
    shutdown.removeEventListener("abort", onShutdown);
  });
  ws.on("error", () => ws.terminate());
}

function reject(socket: Duplex, status: number, message: string): true {
  const body = `${JSON.stringify({ error: { code: status === 404 ? "NotFound" : "BadRequest", message } })}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${status === 404 ? "Not Found" : status === 401 ? "Unauthorized" : "Bad Request"}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  return true;
}
