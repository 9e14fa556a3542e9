import { isAbsolute, relative, sep } from "node:path";
import type { Logger } from "../util/logger.js";
import type { SpecWatchCondition, SpecWatchProblemReason } from "../api/index.js";

const SHOWN_PATHS = 3;
// The system ran out of inotify watches or descriptors: the tree is too large for this host.
const LIMIT_CODES = new Set(["ENOSPC", "EMFILE", "ENFILE"]);

/**
 * What the spec watcher could not watch, kept for {@link list} and logged (warn) as it is found.
 * One writer, the file source. A tree found too large stays reported until the process restarts
 * (what was left out is not watched); an unreadable directory stays reported until it is removed.
 */
export class WatchProblems {
  private tooLarge: { message: string; since: Date } | undefined;
  private readonly unreadable = new Map<string, { error: string; since: Date }>();

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Records that `path` was left out because `limit` entries are already watched. Once. */
  treeTooLarge(limit: number, path: string): void {
    if (this.tooLarge) return;
    const message =
      `${this.dir} holds more than ${limit} directories and spec files; the first ${limit} are watched ` +
      `and the rest (such as ${this.show(path)}) is ignored: move what is not a spec out of the ` +
      `directory, or watch a smaller one`;
    this.tooLarge = { message, since: this.now() };
    this.logger.warn("spec directory too large to watch", { dir: this.dir, limit, path });
  }

  /**
   * Records an error of the watcher: out of watches or descriptors, or a path it cannot read.
   * `path` is where it happened (default: the error's own `path`, else the directory).
   */
  watchError(err: unknown, path?: string): void {
    const e = err as NodeJS.ErrnoException;
    path ??= typeof e.path === "string" ? e.path : this.dir;
    const error = e instanceof Error ? e.message : String(err);
    if (e.code !== undefined && LIMIT_CODES.has(e.code)) {
      if (!this.tooLarge) {
        const message =
          `the system's limit of file watches or open files was reached while watching ` +
          `${this.show(path)} in ${this.dir} (${error}); raise fs.inotify.max_user_watches or ` +
          `the open file limit, or watch a smaller directory`;
        this.tooLarge = { message, since: this.now() };
      }
    } else if (!this.unreadable.has(path)) {
      this.unreadable.set(path, { error, since: this.now() });
    }
    this.logger.warn("watching spec files failed", { dir: this.dir, path, code: e.code, error });
  }

  /** Forgets the unreadable paths at or below `path` (it was removed). */
  forget(path: string): void {
    for (const p of this.unreadable.keys())
      if (p === path || p.startsWith(path + sep)) this.unreadable.delete(p);
  }

  /** The current problems, at most one per reason. */
  list(): SpecWatchCondition[] {
    const out: SpecWatchCondition[] = [];
    if (this.tooLarge) out.push(condition("TreeTooLarge", this.tooLarge.message, this.tooLarge.since));
    if (this.unreadable.size > 0) {
      const entries = [...this.unreadable];
      const since = new Date(Math.min(...entries.map(([, v]) => v.since.getTime())));
      const shown = entries.slice(0, SHOWN_PATHS).map(([p, v]) => `${this.show(p)} (${v.error})`);
      const more = entries.length > SHOWN_PATHS ? ` and ${entries.length - SHOWN_PATHS} more` : "";
      const message =
        `cannot watch ${shown.join(", ")}${more} in ${this.dir}; specs there are not loaded: ` +
        `give the user running Berth read and search permission, or move them out of the directory`;
      out.push(condition("Unreadable", message, since));
    }
    return out;
  }

  private show(path: string): string {
    const rel = relative(this.dir, path);
    return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
  }
}

function condition(reason: SpecWatchProblemReason, message: string, since: Date): SpecWatchCondition {
  return { type: "SpecsWatched", status: "False", reason, message, lastTransitionTime: since.toISOString() };
}
