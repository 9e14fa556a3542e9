/**
 * Between node:http and the web-standard Request/Response that the MCP SDK's HTTP serving takes:
 * a Request made from an IncomingMessage whose body was already read, and a Response streamed
 * back into a ServerResponse (an SSE body chunk by chunk, ended when the client goes away).
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * A web Request for `req`, with `body` as its body (POST) and a signal that aborts when the
 * client closes the connection before the answer is complete.
 */
export function webRequest(req: IncomingMessage, res: ServerResponse, body: string | undefined): Request {
  const abort = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) abort.abort(new Error("the client closed the connection"));
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  // the Host header was checked before this (origin.ts); it only names the URL here
  const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
  const method = req.method ?? "GET";
  return new Request(url, {
    method,
    headers,
    signal: abort.signal,
    ...(body !== undefined && method !== "GET" && method !== "HEAD" ? { body } : {}),
  });
}

/** Writes `response` to `res`, streaming its body; resolves when it has ended either way. */
export async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  res.writeHead(response.status, headers);
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const cancel = () => void reader.cancel().catch(() => undefined);
  res.once("close", cancel);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await drained(res);
      if (res.destroyed) break;
    }
  } catch {
    // the body failed or was cancelled because the client went away: end what was sent
  } finally {
    res.off("close", cancel);
    if (!res.destroyed) res.end();
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}
