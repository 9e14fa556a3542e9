import type { Stats } from "node:fs";
import { basename, dirname, relative, sep } from "node:path";
import { isSpecFile } from "../api/index.js";

/**
 * Which entries of the watched tree the file source admits to its watch: no hidden entries, no
 * node_modules, no links or other entries not named like spec files, and at most `maxEntries`
 * directories and spec files. Paths are real paths under `root`. Synchronous; one owner.
 */
export class WatchAdmission {
  /** Real paths of the directories and spec files admitted to the watch. */
  private readonly admitted = new Set<string>();

  /** `onFull` hears of each entry left out because `maxEntries` are admitted. */
  constructor(
    private readonly root: string,
    private readonly maxEntries: number,
    private readonly onFull: (path: string) => void,
  ) {}

  /**
   * chokidar's filter, called with and without the entry's lstat: whether to leave `path` out.
   * An entry it keeps is admitted.
   */
  ignored(path: string, stats: Stats | undefined): boolean {
    const rel = relative(this.root, path);
    if (rel === "") return false;
    if (hidden(rel)) return true;
    if (stats === undefined) return !this.admitted.has(path) && this.admitted.size >= this.maxEntries;
    if (!stats.isDirectory() && !isSpecFile(basename(path))) return true;
    if (this.admitted.has(path)) return false;
    if (this.admitted.size >= this.maxEntries) {
      this.onFull(path);
      return true;
    }
    this.admitted.add(path);
    return false;
  }

  /**
   * Whether the spec file at `path`, which the spec writer wrote, is watched: by the rules of
   * {@link ignored}, in a directory already admitted. A new file is admitted now, so that the
   * watch keeps up with what the desired store holds.
   */
  admitWritten(path: string): boolean {
    const rel = relative(this.root, path);
    if (rel === "" || hidden(rel) || !isSpecFile(basename(path))) return false;
    if (this.admitted.has(path)) return true;
    const parent = dirname(path);
    if ((parent !== this.root && !this.admitted.has(parent)) || this.admitted.size >= this.maxEntries)
      return false;
    this.admitted.add(path);
    return true;
  }

  /** Forgets an entry that went away. */
  forget(path: string): void {
    this.admitted.delete(path);
  }
}

function hidden(rel: string): boolean {
  return rel.split(sep).some((part) => part.startsWith(".") || part === "node_modules");
}
