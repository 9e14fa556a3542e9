/**
 * What a rule last sent of each path, by its stat, so that a change the watcher reports late for
 * a file a batch already sent (the files of a new directory, sent with it) is not sent again.
 */
import { lstat } from "node:fs/promises";
import { join } from "node:path";

/** Paths remembered at most; beyond, the oldest are forgotten (and at worst sent twice). */
const MAX_REMEMBERED = 100_000;

export class SentStamps {
  private readonly stamps = new Map<string, string>();

  constructor(private readonly root: string) {}

  /**
   * The stamps of `paths` now (undefined: gone or not a file) and those of them that differ from
   * what was last sent; a path that is gone always counts as changed.
   */
  async changed(paths: readonly string[]): Promise<{ paths: string[]; stamps: Map<string, string> }> {
    const stamps = new Map<string, string>();
    const now = await Promise.all(paths.map((rel) => stampOf(join(this.root, rel))));
    const out: string[] = [];
    for (const [i, rel] of paths.entries()) {
      const stamp = now[i];
      if (stamp !== undefined) stamps.set(rel, stamp);
      if (stamp === undefined || this.stamps.get(rel) !== stamp) out.push(rel);
    }
    return { paths: out, stamps };
  }

  /** Records what a batch sent; paths not in `stamps` (removed) are forgotten. */
  sent(paths: readonly string[], stamps: ReadonlyMap<string, string>): void {
    for (const rel of paths) {
      const stamp = stamps.get(rel);
      this.stamps.delete(rel);
      if (stamp !== undefined) this.stamps.set(rel, stamp);
    }
    for (const key of this.stamps.keys()) {
      if (this.stamps.size <= MAX_REMEMBERED) break;
      this.stamps.delete(key);
    }
  }
}

async function stampOf(path: string): Promise<string | undefined> {
  const s = await lstat(path, { bigint: true }).catch(() => undefined);
  if (s === undefined || s.isDirectory()) return undefined;
  return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}
