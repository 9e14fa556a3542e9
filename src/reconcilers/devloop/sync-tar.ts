/**
 * What one sync sends: the changed paths of a watch rule sorted into what to copy and what to
 * delete in the container, and the tar stream Docker's archive API extracts. A path is looked at
 * when the batch is applied (its last state wins, whatever events came before). Symbolic links
 * are never followed: a link is sent as a link, and only when its real target is inside the
 * allowed roots; a path reached through a linked directory is not sent at all.
 */
import { lstat, realpath } from "node:fs/promises";
import { join, posix } from "node:path";
import type { Readable } from "node:stream";
import { pack, type Headers, type PackOptions } from "tar-fs";
import { dockerHeader } from "../../runtime/tar.js";

/** The sorted paths of one batch. */
export interface SyncSelection {
  /** Relative paths to copy (regular files, directories, links), sorted so parents come first. */
  send: string[];
  /** Relative paths that are gone on the host: deleted in the container. */
  remove: string[];
  /** Links whose target is outside the allowed roots, and paths below a link: left alone. */
  refused: string[];
  /** Regular files and links sent (directories are not counted). */
  files: number;
  /** Bytes of the regular files sent. */
  bytes: number;
}

/** Where a rule's files come from and go to. */
export interface SyncPlace {
  /** The real directory the relative paths are relative to. */
  root: string;
  /**
   * The container path of a relative path: `target/rel` for a directory rule, `target` itself for
   * a rule on one file. Pure.
   */
  containerPath(rel: string): string;
}

/** Checks a link's real target against the allowed roots; resolves false when it leads outside. */
export type LinkCheck = (absolute: string) => Promise<boolean>;

/**
 * Sorts `paths` (relative to `place.root`) for one sync. Asynchronous (one lstat and, for links
 * and their parents, one realpath per path), never follows a link. Never rejects for a path that
 * vanished meanwhile: it is deleted.
 */
export async function selectPaths(
  place: Pick<SyncPlace, "root">,
  paths: readonly string[],
  linkInside: LinkCheck,
): Promise<SyncSelection> {
  const out: SyncSelection = { send: [], remove: [], refused: [], files: 0, bytes: 0 };
  const seen = await Promise.all(
    paths.map(async (rel) => ({ rel, kind: await classify(place.root, rel, linkInside) })),
  );
  for (const { rel, kind } of seen) {
    if (kind === "gone") out.remove.push(rel);
    else if (kind === "refused") out.refused.push(rel);
    else {
      out.send.push(rel);
      out.bytes += kind.bytes;
      if (kind.file) out.files++;
    }
  }
  out.send.sort();
  out.remove.sort();
  return out;
}

type Kind = "gone" | "refused" | { bytes: number; file: boolean };

async function classify(root: string, rel: string, linkInside: LinkCheck): Promise<Kind> {
  const abs = rel === "" ? root : join(root, rel);
  let stats;
  try {
    stats = await lstat(abs);
  } catch {
    return "gone";
  }
  // the path itself must be where it says: no linked directory on the way from the root
  const parent = rel.includes("/") ? join(root, posix.dirname(rel)) : root;
  try {
    if ((await realpath(parent)) !== parent) return "refused";
  } catch {
    return "gone";
  }
  if (stats.isSymbolicLink()) return (await linkInside(abs)) ? { bytes: 0, file: true } : "refused";
  if (stats.isFile()) return { bytes: stats.size, file: true };
  if (stats.isDirectory()) return { bytes: 0, file: false };
  return "refused"; // sockets, FIFOs and devices are never sent
}

/**
 * The tar stream of `send` (from {@link selectPaths}), each entry named by its container path
 * without the leading `/`, for extraction at `/`: missing parent directories are created by the
 * engine. Owner root:root, modes as on disk; links as links. File contents are read lazily; a
 * file that changes size while read fails the stream. The consumer destroys the stream.
 */
export function syncArchive(place: SyncPlace, send: readonly string[]): Readable {
  const options: PackOptions & { umask: number } = {
    entries: send.map((rel) => (rel === "" ? "." : rel)),
    ignore: () => true, // `entries` lists everything: no directory is expanded
    strict: false,
    umask: 0,
    map: (header: Headers) => {
      const rel = header.name === "." || header.name === "./" ? "" : header.name.replace(/\/$/, "");
      return dockerHeader({ ...header, name: place.containerPath(rel).replace(/^\/+/, "") });
    },
  };
  return pack(place.root, options);
}

/** The {@link SyncPlace} of a rule on a directory (`file` undefined) or on one file named `file`. */
export function syncPlace(root: string, target: string, file: string | undefined): SyncPlace {
  const clean = posix.normalize(target);
  if (file !== undefined) return { root, containerPath: () => clean };
  return { root, containerPath: (rel) => (rel === "" ? clean : posix.join(clean, rel)) };
}
