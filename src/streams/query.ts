/**
 * Log queries over ring buffers: tail, time window, stream and a regular expression, merged across
 * a project's containers by timestamp. Pure functions; callers pass the rings.
 */
import type { LogLine, LogStreamName } from "./log-line.js";
import type { RingBuffer } from "./ring.js";

/** A parsed log query; every field narrows the result. */
export interface LogQuery {
  /** Only this container (spec name). */
  container?: string;
  /** At most this many lines, the newest ones. */
  tail?: number;
  /** Lines at or after this normalised timestamp. */
  since?: string;
  /** Lines before this normalised timestamp. */
  until?: string;
  grep?: RegExp;
  stream?: LogStreamName;
}

/** A pattern that is not a valid regular expression; `position` is the 0-based offset of the fault. */
export class GrepSyntaxError extends Error {
  override readonly name = "GrepSyntaxError";
  constructor(
    readonly pattern: string,
    readonly position: number,
    readonly reason: string,
  ) {
    super(`invalid regular expression at position ${position}: ${reason} (in ${JSON.stringify(pattern)})`);
  }
}

/** Longest accepted pattern, so that locating an error (quadratic in the length) stays cheap. */
export const MAX_GREP_LENGTH = 1024;

const INCOMPLETE = /unterminated|\\ at end of pattern|missing \)|incomplete quantifier|lone quantifier/i;

/**
 * Compiles a grep pattern (JavaScript syntax, no flags). Throws {@link GrepSyntaxError} naming the
 * position: the end of the shortest prefix that fails the same way as the whole pattern, or the end
 * of the pattern when it is merely unfinished (an unclosed group or class). Pure.
 */
export function compileGrep(pattern: string): RegExp {
  if (pattern.length > MAX_GREP_LENGTH) {
    throw new GrepSyntaxError(
      pattern.slice(0, 40),
      MAX_GREP_LENGTH,
      `longer than ${MAX_GREP_LENGTH} characters`,
    );
  }
  const full = tryCompile(pattern);
  if (full instanceof RegExp) return full;
  if (!INCOMPLETE.test(full)) {
    for (let k = 1; k <= pattern.length; k++) {
      const err = tryCompile(pattern.slice(0, k));
      if (typeof err === "string" && reasonOf(err) === reasonOf(full))
        throw new GrepSyntaxError(pattern, k - 1, reasonOf(full));
    }
  }
  throw new GrepSyntaxError(pattern, pattern.length, reasonOf(full));
}

function tryCompile(source: string): RegExp | string {
  try {
    return new RegExp(source);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function reasonOf(message: string): string {
  const at = message.lastIndexOf("/: ");
  return (at >= 0 ? message.slice(at + 3) : message).toLowerCase();
}

/** Lines of one ring that match `q` (not `q.container`), oldest first, at most `q.tail`. Pure. */
export function queryRing(ring: RingBuffer<LogLine>, q: LogQuery): LogLine[] {
  const limit = q.tail ?? Number.POSITIVE_INFINITY;
  const out: LogLine[] = [];
  for (let i = ring.size - 1; i >= 0 && out.length < limit; i--) {
    const l = ring.at(i) as LogLine;
    if (q.since !== undefined && l.ts < q.since) break;
    if (q.until !== undefined && l.ts >= q.until) continue;
    if (q.stream !== undefined && l.stream !== q.stream) continue;
    if (q.grep !== undefined && !q.grep.test(l.line)) continue;
    out.push(l);
  }
  return out.reverse();
}

/** Lines of several rings that match `q`, merged by timestamp (stable), at most `q.tail`. Pure. */
export function queryRings(rings: Iterable<RingBuffer<LogLine>>, q: LogQuery): LogLine[] {
  const parts: LogLine[][] = [];
  for (const ring of rings) parts.push(queryRing(ring, q));
  if (parts.length === 1) return parts[0] ?? [];
  const merged = parts.flat().sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  return q.tail !== undefined ? merged.slice(Math.max(0, merged.length - q.tail)) : merged;
}
