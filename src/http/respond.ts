import type { ServerResponse } from "node:http";

const COMMON = { "cache-control": "no-store", "x-content-type-options": "nosniff" };

/** Sends `body` as JSON with `status`. Ignored when the response has already started. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    ...COMMON,
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Sends plain text with `status`. */
export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = "text/plain; charset=utf-8",
): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    ...COMMON,
    "content-type": contentType,
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Starts an NDJSON stream (200, one JSON value per line) and returns a function that writes one
 * line; writes after the response ended are dropped.
 */
export function startNdjson(res: ServerResponse): (value: unknown) => void {
  res.writeHead(200, { ...COMMON, "content-type": "application/x-ndjson; charset=utf-8" });
  res.flushHeaders();
  return (value) => {
    if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify(value)}\n`);
  };
}
