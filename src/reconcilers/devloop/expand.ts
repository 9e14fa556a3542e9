/**
 * A batch's new directories, expanded: the watcher reports the files of a directory created with
 * them late or not at all (they can be written before its watch on the directory starts), so a
 * batch that names a directory sends everything below it as it is when the batch is applied.
 */
import type { Dirent } from "node:fs";
import { readdir } from "node:fs/promises";
import { posix } from "node:path";

/** Most paths one expansion adds: a tree larger than this is cut off, not walked for ever. */
const MAX_EXPANDED = 10_000;

/**
 * `paths` (relative, `/`-separated) plus, for each that is a directory under `root`, every path
 * below it that `ignored` keeps, without entering links. Removed paths stay as they are; the
 * apply finds them gone. Deduplicated, in first-seen order.
 */
export async function expandDirectories(
  root: string,
  paths: readonly string[],
  ignored: (rel: string, isDir: boolean) => boolean,
): Promise<string[]> {
  const out = new Set(paths);
  const queue = [...paths];
  while (queue.length > 0 && out.size < MAX_EXPANDED) {
    const dir = queue.shift() ?? "";
    let entries: Dirent[];
    try {
      entries = await readdir(dir === "" ? root : posix.join(root, dir), { withFileTypes: true });
    } catch {
      continue; // not a directory, or gone: the apply looks at what is there
    }
    for (const e of entries) {
      const rel = dir === "" ? e.name : `${dir}/${e.name}`;
      const isDir = e.isDirectory(); // a Dirent is the entry itself: a link is not a directory
      if (out.has(rel) || ignored(rel, isDir)) continue;
      out.add(rel);
      if (isDir) queue.push(rel);
    }
  }
  return [...out];
}
