import type { ErrorBody } from "./wire.js";
import { BerthError } from "../util/errors.js";
import { ServiceError, type ServiceErrorCode, SpecInvalidError } from "../api/index.js";

/** An error the HTTP layer itself raises (unknown route, bad method, missing token, bad query). */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The server refuses to listen on a non-loopback address without a bearer token. */
export class InsecureBindError extends BerthError {
  override readonly name = "InsecureBindError";
  constructor(readonly host: string) {
    super(
      `refusing to serve the Berth API on ${host} without a bearer token: anyone who can reach it could ` +
        "run containers on this host; bind 127.0.0.1, or drop --no-auth (the token in the state directory is then required)",
    );
  }
}

/** The server cannot listen on its address; the message says why and what to do. */
export class ListenError extends BerthError {
  override readonly name = "ListenError";
  constructor(
    readonly host: string,
    readonly port: number,
    cause: NodeJS.ErrnoException,
  ) {
    const inUse = cause.code === "EADDRINUSE";
    super(
      inUse
        ? `cannot listen on ${host}:${port}: the address is in use`
        : `cannot listen on ${host}:${port}: ${cause.message}`,
      {
        cause,
        hint: inUse
          ? "another berth (or another program) holds the port: stop it, or pick another with --http HOST:PORT"
          : "check the --http address",
      },
    );
  }
}

const STATUS: Record<ServiceErrorCode, number> = {
  BadRequest: 400,
  NotFound: 404,
  Conflict: 409,
  PathEscape: 403,
  FileInvalid: 409,
  PayloadTooLarge: 413,
};

/** Maps any error to a status, extra headers and an ErrorBody. Unknown errors become a 500. */
export function errorResponse(err: unknown): {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
} {
  if (err instanceof HttpError) {
    return { status: err.status, headers: err.headers, body: body(err.code, err.message, err.hint) };
  }
  if (err instanceof ServiceError) {
    return { status: STATUS[err.code], headers: {}, body: body(err.code, err.message, err.hint) };
  }
  if (err instanceof SpecInvalidError) {
    const n = err.errors.length;
    const message = `the request has ${n} spec error${n === 1 ? "" : "s"}; nothing was written`;
    const hint = "fix the errors listed in details (berth validate FILE shows the same) and apply again";
    return {
      status: 400,
      headers: {},
      body: body("SpecInvalid", message, hint, { errors: [...err.errors] }),
    };
  }
  const hint = "see the daemon's log for details";
  return { status: 500, headers: {}, body: body("Internal", `internal error; ${hint}`, hint) };
}

function body(
  code: string,
  message: string,
  hint?: string,
  details?: ErrorBody["error"]["details"],
): ErrorBody {
  return { error: { code, message, ...(hint ? { hint } : {}), ...(details ? { details } : {}) } };
}
