import { parseDuration } from "../util/duration.js";
import { CliError } from "./io.js";

/**
 * How long ago something happened, the way kubectl prints AGE: `45s`, `3m20s`, `12m`, `5h30m`,
 * `30h`, `4d6h`, `120d`, `2y30d`, `9y`. Negative values print as `0s`. Pure.
 */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms)) return "<unknown>";
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (years < 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

/** Age of an RFC 3339 timestamp at `now`, or `<unknown>` when it does not parse. */
export function ageOf(timestamp: string | undefined, now: Date): string {
  const t = Date.parse(timestamp ?? "");
  return Number.isNaN(t) ? "<unknown>" : formatAge(now.getTime() - t);
}

/** Parses a `--timeout` value (`60s`, `5m`, `1h30m`, or seconds); throws CliError (exit 2). */
export function parseTimeout(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0 || ms > 3_600_000) {
    throw new CliError(`invalid --timeout "${text}": use a duration such as 60s, 5m or 1h (at most 1h)`, 2);
  }
  return ms;
}
