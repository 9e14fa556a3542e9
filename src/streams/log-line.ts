/**
 * The log line as Berth keeps, queries and publishes it, and the timestamp helpers that make
 * Docker's RFC 3339 timestamps comparable as plain strings.
 */
import { parseDuration } from "../util/duration.js";

/** Which output of the container a line came from. */
export type LogStreamName = "stdout" | "stderr";

/** One line of container output. Immutable once created. */
export interface LogLine {
  /** Docker's timestamp, normalised to 9 fractional digits (`2026-01-02T03:04:05.123456789Z`). */
  readonly ts: string;
  readonly stream: LogStreamName;
  /** The spec's container name (not the Docker id). */
  readonly container: string;
  /** The text, without the trailing newline. */
  readonly line: string;
}

const FRACTION = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/;

/**
 * Normalises an RFC 3339 UTC timestamp to exactly 9 fractional digits so that timestamps sort as
 * strings; returns undefined for anything else (offsets other than `Z` included). Pure.
 */
export function normalizeTimestamp(text: string): string | undefined {
  const m = FRACTION.exec(text);
  if (!m) return undefined;
  return `${m[1]}.${(m[2] ?? "").padEnd(9, "0")}Z`;
}

/**
 * The normalised timestamp a query's `since` or `until` names: a duration back from `nowMs`
 * ("30s", "5m"), or an RFC 3339 time; undefined for anything else. Pure.
 */
export function timestampOfQuery(text: string, nowMs: number): string | undefined {
  const ms = parseDuration(text);
  if (ms !== undefined) return timestampOfMs(nowMs - ms);
  const exact = normalizeTimestamp(text);
  if (exact !== undefined) return exact;
  const parsed = Date.parse(text);
  if (!Number.isNaN(parsed) && /^\d{4}-\d\d-\d\d/.test(text)) return timestampOfMs(parsed);
  return undefined;
}

/** A normalised timestamp for a time in milliseconds since the epoch. Pure. */
export function timestampOfMs(ms: number): string {
  const iso = new Date(ms).toISOString(); // ...ss.mmmZ
  return `${iso.slice(0, -1)}000000Z`;
}

/**
 * Docker's `since` query value (`<seconds>.<nanoseconds>`) for a normalised timestamp. Docker
 * includes lines at exactly that time, so resuming callers skip what they already have. Pure.
 */
export function dockerSince(ts: string): string {
  const seconds = Math.floor(Date.parse(`${ts.slice(0, 19)}Z`) / 1000);
  return `${seconds}.${ts.slice(20, 29)}`;
}
