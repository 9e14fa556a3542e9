import type { IncomingMessage } from "node:http";
import { PayloadTooLargeError } from "../api/index.js";

/** Largest request body the API accepts. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads a request body as UTF-8 text, refusing more than `limit` bytes with PayloadTooLargeError
 * (checked against Content-Length first, then while reading). After a refusal the rest of the
 * body is read and dropped, not buffered, so that the client still gets the 413 response; the
 * server closes the connection after it.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    let failed = Number.isFinite(declared) && declared > limit;
    if (failed) {
      req.resume();
      reject(new PayloadTooLargeError(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      failed = true;
      chunks.length = 0;
      reject(new PayloadTooLargeError(limit));
    });
    req.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", (err) => {
      if (!failed) reject(err);
    });
  });
}
