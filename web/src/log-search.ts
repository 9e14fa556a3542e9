/**
 * Log panel logic without the DOM: the search box (plain text, or `/regex/flags`), highlighting,
 * and the bounded window of lines with pause/resume. Pure.
 */
import type { LogLine } from "./types.js";

/** A compiled search: which lines match, and where. */
export interface LogSearch {
  test(line: string): boolean;
  /** Match ranges `[start, end)` in `line`, in order, non-empty and non-overlapping. */
  ranges(line: string): Array<[number, number]>;
}

/** The result of compiling the search box: a search, none (empty box), or an error to show. */
export type CompiledSearch = { search?: LogSearch; error?: string };

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Compiles the search text. `/re/` or `/re/i` is a regular expression (an invalid one gives an
 * error message); anything else matches as plain text, ignoring case.
 */
export function compileSearch(text: string): CompiledSearch {
  if (text === "") return {};
  let source: string;
  let flags = "i";
  const re = /^\/(.+)\/([a-z]*)$/.exec(text);
  if (re?.[1] !== undefined) {
    source = re[1];
    flags = (re[2] ?? "").replace(/[gy]/g, "");
  } else {
    source = escapeRegExp(text);
  }
  let test: RegExp;
  let global: RegExp;
  try {
    test = new RegExp(source, flags);
    global = new RegExp(source, `${flags}g`);
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
  return {
    search: {
      test: (line) => test.test(line),
      ranges: (line) => {
        const out: Array<[number, number]> = [];
        global.lastIndex = 0;
        for (let m = global.exec(line); m !== null; m = global.exec(line)) {
          if (m[0].length === 0) {
            global.lastIndex++; // an empty match highlights nothing; move on
            continue;
          }
          out.push([m.index, m.index + m[0].length]);
        }
        return out;
      },
    },
  };
}

/** A line split into plain and matching parts, for rendering. */
export function highlight(
  line: string,
  search: LogSearch | undefined,
): Array<{ text: string; match: boolean }> {
  if (!search) return [{ text: line, match: false }];
  const parts: Array<{ text: string; match: boolean }> = [];
  let at = 0;
  for (const [start, end] of search.ranges(line)) {
    if (start > at) parts.push({ text: line.slice(at, start), match: false });
    parts.push({ text: line.slice(start, end), match: true });
    at = end;
  }
  if (at < line.length || parts.length === 0) parts.push({ text: line.slice(at), match: false });
  return parts;
}

/**
 * The lines a log panel holds: at most `limit`, oldest dropped first. While paused, arriving
 * lines wait in a held list (also at most `limit`; older held lines are dropped and counted) and
 * are shown on resume.
 */
export class LogWindow {
  private lines: LogLine[] = [];
  private held: LogLine[] = [];
  private heldDropped = 0;
  private paused = false;

  constructor(readonly limit: number) {}

  get isPaused(): boolean {
    return this.paused;
  }

  /** Lines shown now, oldest first. */
  get shown(): readonly LogLine[] {
    return this.lines;
  }

  /** Lines waiting for resume, and how many were dropped while waiting. */
  get pending(): { count: number; dropped: number } {
    return { count: this.held.length, dropped: this.heldDropped };
  }

  /**
   * Adds arriving lines. Returns what changed on screen: the lines appended and how many of the
   * oldest shown lines were dropped (both zero while paused).
   */
  push(lines: readonly LogLine[]): { added: LogLine[]; dropped: number } {
    if (this.paused) {
      this.held.push(...lines);
      const over = this.held.length - this.limit;
      if (over > 0) {
        this.held.splice(0, over);
        this.heldDropped += over;
      }
      return { added: [], dropped: 0 };
    }
    return this.append(lines);
  }

  pause(): void {
    this.paused = true;
  }

  /** Shows the held lines; returns them as {@link push} does. */
  resume(): { added: LogLine[]; dropped: number } {
    this.paused = false;
    const held = this.held;
    this.held = [];
    this.heldDropped = 0;
    return this.append(held);
  }

  clear(): void {
    this.lines = [];
    this.held = [];
    this.heldDropped = 0;
  }

  private append(lines: readonly LogLine[]): { added: LogLine[]; dropped: number } {
    const added = lines.length > this.limit ? lines.slice(lines.length - this.limit) : [...lines];
    this.lines.push(...added);
    const dropped = Math.max(0, this.lines.length - this.limit);
    if (dropped > 0) this.lines.splice(0, dropped);
    return { added, dropped };
  }
}
