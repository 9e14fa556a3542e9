/**
 * One page of log output for an MCP client: lines rendered as text under a hard character cap,
 * with an opaque cursor that continues after the last line returned (the next page of a
 * truncated answer, or the lines that arrived since). Pure.
 */
import type { LogLine } from "../streams/log-line.js";
import { BadRequestError } from "../api/index.js";

/** Where a page ended: the timestamp of its last line and how many lines at that timestamp it held. */
export interface LogCursor {
  ts: string;
  skip: number;
}

/** Longest single line rendered; the rest is cut with a note. */
export const MAX_LINE_CHARS = 2000;

/** A rendered page. */
export interface LogPage {
  text: string;
  lines: LogLine[];
  /** True when lines were left out because of the character cap. */
  truncated: boolean;
  /** Pass back as `cursor` to continue after the last line returned. */
  nextCursor: string | undefined;
}

/** Encodes a cursor as an opaque URL-safe string. */
export function encodeCursor(c: LogCursor): string {
  return Buffer.from(JSON.stringify([c.ts, c.skip])).toString("base64url");
}

/** Decodes a cursor; throws BadRequestError for anything {@link encodeCursor} did not make. */
export function decodeCursor(text: string): LogCursor {
  try {
    const v = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(v) && typeof v[0] === "string" && Number.isInteger(v[1]) && (v[1] as number) >= 0) {
      return { ts: v[0], skip: v[1] as number };
    }
  } catch {
    // fall through
  }
  throw new BadRequestError(
    `invalid cursor ${JSON.stringify(text.slice(0, 40))}`,
    "pass the nextCursor of an earlier get_logs answer unchanged, or leave cursor out",
  );
}

/**
 * Drops from `lines` (oldest first, all at or after `cursor.ts`) the lines an earlier page
 * already returned: the first `cursor.skip` lines stamped exactly `cursor.ts`.
 */
export function afterCursor(lines: readonly LogLine[], cursor: LogCursor): LogLine[] {
  let skip = cursor.skip;
  return lines.filter((l) => {
    if (l.ts < cursor.ts) return false;
    if (l.ts === cursor.ts && skip > 0) {
      skip--;
      return false;
    }
    return true;
  });
}

/** One line as text: time, container (and stream when stderr), the line. */
export function renderLine(l: LogLine): string {
  const text =
    l.line.length > MAX_LINE_CHARS
      ? `${l.line.slice(0, MAX_LINE_CHARS)}... [${l.line.length - MAX_LINE_CHARS} more characters]`
      : l.line;
  const time = `${l.ts.slice(0, 23)}Z`;
  return `${time} ${l.container}${l.stream === "stderr" ? " (stderr)" : ""}: ${text}`;
}

/**
 * Renders `lines` (oldest first; the lines after `cursor` when there was one) up to `maxChars`
 * characters. When they do not all fit, the oldest ones that fit are returned with
 * `truncated`, so that the cursor continues in order.
 */
export function renderLogPage(
  lines: readonly LogLine[],
  maxChars: number,
  cursor: LogCursor | undefined,
): LogPage {
  const out: string[] = [];
  const shown: LogLine[] = [];
  let used = 0;
  for (const l of lines) {
    const text = renderLine(l);
    if (used + text.length + 1 > maxChars && shown.length > 0) break;
    out.push(text);
    shown.push(l);
    used += text.length + 1;
  }
  const last = shown.at(-1);
  let nextCursor: string | undefined = cursor ? encodeCursor(cursor) : undefined;
  if (last) {
    let skip = shown.filter((l) => l.ts === last.ts).length;
    if (cursor && cursor.ts === last.ts) skip += cursor.skip;
    nextCursor = encodeCursor({ ts: last.ts, skip });
  }
  return { text: out.join("\n"), lines: shown, truncated: shown.length < lines.length, nextCursor };
}
