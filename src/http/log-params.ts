/** Parsing of the log query parameters (`tail`, `since`, `until`, `grep`, `stream`, `container`). Pure. */
import { compileGrep, GrepSyntaxError, type LogQuery } from "../streams/query.js";
import { timestampOfQuery } from "../streams/log-line.js";
import { HttpError } from "./errors.js";

/** Largest `tail` accepted (the largest ring). */
export const MAX_TAIL = 1_000_000;

/**
 * Turns the query string of a log request into a {@link LogQuery}. `since`/`until` take a duration
 * back from `nowMs` (`5m`) or an RFC 3339 time. Throws HttpError 400 naming the parameter; an
 * invalid `grep` names the position of the error.
 */
export function parseLogQuery(q: URLSearchParams, nowMs: number): LogQuery {
  const out: LogQuery = {};
  const container = q.get("container");
  if (container) out.container = container;
  const tail = q.get("tail");
  if (tail !== null && tail !== "" && tail !== "all") {
    const n = Number(tail);
    if (!Number.isInteger(n) || n < 0 || n > MAX_TAIL)
      throw bad("tail", `a whole number from 0 to ${MAX_TAIL}, or all`);
    out.tail = n;
  }
  const since = q.get("since");
  if (since) out.since = parseTime(since, nowMs, "since");
  const until = q.get("until");
  if (until) out.until = parseTime(until, nowMs, "until");
  const stream = q.get("stream");
  if (stream) {
    if (stream !== "stdout" && stream !== "stderr") throw bad("stream", "stdout or stderr");
    out.stream = stream;
  }
  const grep = q.get("grep");
  if (grep) {
    try {
      out.grep = compileGrep(grep);
    } catch (err) {
      if (!(err instanceof GrepSyntaxError)) throw err;
      throw new HttpError(
        400,
        "BadRequest",
        `invalid query parameter grep: ${err.message}`,
        "grep takes a JavaScript regular expression; escape special characters such as ( [ * with \\",
      );
    }
  }
  return out;
}

function parseTime(text: string, nowMs: number, param: string): string {
  const ts = timestampOfQuery(text, nowMs);
  if (ts !== undefined) return ts;
  throw bad(param, "a duration back from now (30s, 5m, 2h) or an RFC 3339 time");
}

function bad(param: string, expected: string): HttpError {
  return new HttpError(400, "BadRequest", `invalid query parameter ${param}: expected ${expected}`);
}
