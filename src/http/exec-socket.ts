/**
 * Interactive exec over a WebSocket: `GET /api/v1/projects/{ns}/{name}/containers/{c}/exec`
 * upgraded, with `?command=` once per argument, `tty=true`, `stdin=true`, `cols=`, `rows=`. The
 * daemon bridges the socket to Docker's hijacked exec attach. It passed the server's checks
 * first (Host, same origin or no Origin, the token), like any write.
 *
 * Protocol (see also the CLI's exec client):
 * - server to client, binary: one byte stream id (1 stdout, 2 stderr) then the bytes;
 * - server to client, text: `{"exit": {"code": n}}` once the command ended, or
 *   `{"error": {"code", "message"}}`; the server then closes with 1000 (or 1011 on error);
 * - client to server, binary: bytes for the command's stdin (with `stdin=true`);
 * - client to server, text: `{"resize": {"cols": c, "rows": r}}` or `{"stdinEnd": true}` (EOF).
 * Output waits while the client's unsent data exceeds {@link EXEC_WS_HIGH_WATER} (the command's
 * output pipe then fills and it blocks, as with a slow terminal); nothing is dropped.
 */
import type { Duplex } from "node:stream";
import { BadRequestError } from "../api/index.js";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { exitCodeOf, execTarget, type ExecDeps } from "../service/exec.js";
import type { ExecSession } from "../runtime/exec.js";
import { errorResponse } from "./errors.js";
import { parseBool } from "./params.js";
import type { UpgradeHandler } from "./ws-logs.js";
import { API_PREFIX } from "./wire.js";

/** Unsent bytes to a client above which output reading pauses. */
export const EXEC_WS_HIGH_WATER = 1024 * 1024;

const PATH = new RegExp(`^${API_PREFIX}/projects/([^/]+)/([^/]+)/containers/([^/]+)/exec/?$`);

interface SocketRequest {
  containerId: string;
  command: string[];
  tty: boolean;
  stdin: boolean;
  size: { cols: number; rows: number } | undefined;
}

/** Creates the interactive exec WebSocket endpoint. */
export function createExecSocketHandler(deps: ExecDeps): UpgradeHandler {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  return (req, socket, head, url, shutdown) => {
    const m = PATH.exec(url.pathname);
    if (!m) return false;
    let parsed: SocketRequest;
    try {
      parsed = parseSocketRequest(deps, m, url.searchParams);
    } catch (err) {
      const { status, body } = errorResponse(err);
      return reject(socket, status, JSON.stringify(body));
    }
    wss.handleUpgrade(req, socket, head, (ws) => void bridge(ws, deps, parsed, shutdown));
    return true;
  };
}

function parseSocketRequest(deps: ExecDeps, m: RegExpExecArray, q: URLSearchParams): SocketRequest {
  const [ns, name, container] = [m[1], m[2], m[3]].map((s) => decodeURIComponent(s ?? ""));
  const command = q.getAll("command");
  if (command.length === 0) throw httpBad("command is required: pass ?command= once per argument");
  const tty = parseBool(q.get("tty"));
  const stdin = parseBool(q.get("stdin"));
  if (tty === undefined) throw httpBad("tty must be true or false");
  if (stdin === undefined) throw httpBad("stdin must be true or false");
  const cols = Number(q.get("cols") ?? "0");
  const rows = Number(q.get("rows") ?? "0");
  const size = cols > 0 && rows > 0 ? { cols, rows } : undefined;
  const containerId = execTarget(deps, ns ?? "", name ?? "", container ?? "");
  return { containerId, command, tty, stdin, size };
}

async function bridge(ws: WebSocket, deps: ExecDeps, r: SocketRequest, shutdown: AbortSignal): Promise<void> {
  const ended = new AbortController();
  const signal = AbortSignal.any([ended.signal, shutdown]);
  const onClose = (): void => ended.abort();
  ws.on("close", onClose);
  ws.on("error", () => ws.terminate());
  let session: ExecSession | undefined;
  // Input may arrive before Docker has started the exec: keep it until then, in order.
  const early: [RawData, boolean][] = [];
  let onMessage = (data: RawData, isBinary: boolean): void => void early.push([data, isBinary]);
  ws.on("message", (data: RawData, isBinary: boolean) => onMessage(data, isBinary));
  try {
    const execId = await deps.docker.createExec(
      r.containerId,
      { command: r.command, tty: r.tty, stdin: r.stdin, ...(r.size ? { size: r.size } : {}) },
      { signal },
    );
    session = await deps.docker.startExec(execId, { tty: r.tty, stdin: r.stdin, signal });
    const s = session;
    // Older engines ignore the create's ConsoleSize: size the TTY once it exists, as docker does.
    if (r.tty && r.size) await deps.docker.resizeExec(execId, r.size, { signal }).catch(() => {});
    onMessage = (data, isBinary) => onInput(ws, s, deps, execId, data, isBinary);
    for (const [data, isBinary] of early.splice(0)) onMessage(data, isBinary);
    for await (const chunk of s.output()) {
      if (ws.readyState !== ws.OPEN) break;
      const frame = Buffer.allocUnsafe(chunk.data.length + 1);
      frame[0] = chunk.stream === "stderr" ? 2 : 1;
      chunk.data.copy(frame, 1);
      await send(ws, frame);
    }
    if (ws.readyState !== ws.OPEN) return;
    const code = await exitCodeOf(deps.docker, execId, { signal });
    ws.send(JSON.stringify({ exit: { code } }));
    ws.close(1000, "exited");
  } catch (err) {
    if (ws.readyState !== ws.OPEN) return;
    const { body } = errorResponse(err);
    ws.send(JSON.stringify({ error: { code: body.error.code, message: describe(err) } }));
    ws.close(1011, "exec failed");
  } finally {
    session?.close();
    ws.off("close", onClose);
  }
}

function onInput(
  ws: WebSocket,
  s: ExecSession,
  deps: ExecDeps,
  execId: string,
  data: RawData,
  isBinary: boolean,
): void {
  const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
  if (isBinary) {
    if (!s.write(bytes)) {
      ws.pause();
      void s.drained().then(() => ws.resume());
    }
    return;
  }
  let msg: { resize?: { cols?: unknown; rows?: unknown }; stdinEnd?: unknown };
  try {
    msg = JSON.parse(bytes.toString("utf8")) as typeof msg;
  } catch {
    return;
  }
  if (msg.stdinEnd === true) s.endInput();
  const cols = Number(msg.resize?.cols);
  const rows = Number(msg.resize?.rows);
  if (cols > 0 && rows > 0) void deps.docker.resizeExec(execId, { cols, rows }).catch(() => {});
}

function send(ws: WebSocket, frame: Buffer): Promise<void> {
  if (ws.bufferedAmount < EXEC_WS_HIGH_WATER) {
    ws.send(frame);
    return Promise.resolve();
  }
  return new Promise((resolve) => ws.send(frame, () => resolve()));
}

function describe(err: unknown): string {
  const { status, body } = errorResponse(err);
  return status >= 500 && err instanceof Error ? err.message : body.error.message;
}

function httpBad(message: string): Error {
  return new BadRequestError(`exec: ${message}`);
}

function reject(socket: Duplex, status: number, body: string): true {
  const reason =
    status === 404 ? "Not Found" : status === 409 ? "Conflict" : status === 400 ? "Bad Request" : "Error";
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body) + 1}\r\nconnection: close\r\n\r\n${body}\n`,
  );
  return true;
}
