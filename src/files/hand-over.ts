/**
 * The hand-over from the spec writer to the file source: after a write, the writer gives the
 * parse it made of the new text (validated once, by the writer) to the file source, which puts it
 * into the desired store at once. When the watcher then reports the file and the source reads the
 * same content (same digest), nothing is parsed again.
 */
import { createHash } from "node:crypto";
import type { ParseResult } from "../api/index.js";

/** The digest by which a spec file's content is recognised: SHA-256 of its text, in hex. Pure. */
export function specDigest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** What a write left in one spec file. */
export type WrittenSpec =
  | {
      /** Real path of the file (symlinks resolved, inside the watched directory). */
      path: string;
      /** The {@link SpecHandOver.mark} taken before the file was written. */
      mark: number;
      /** {@link specDigest} of the text the write replaced; undefined for a new file. */
      replaces?: string;
      removed?: false;
      /** {@link specDigest} of the new text. */
      digest: string;
      /** `parseProjects` of the new text, with the file named as the writer named it. */
      parsed: ParseResult;
    }
  | { path: string; mark: number; replaces?: string; removed: true };

/**
 * Takes what the spec writer wrote, so that the desired state holds it as soon as the write
 * returns. Implemented by the file source, the desired store's only writer. `mark` and `parsed`
 * are synchronous; none throws. A write that is not taken is read from disk as any other change.
 */
export interface SpecHandOver {
  /**
   * A mark to take before writing: a read of the file that starts after it may already see the
   * write, or something newer, and then wins over the hand-over.
   */
  mark(): number;
  /**
   * Records `spec` in the desired store and queues the keys it changes. When no read of the file
   * started since `spec.mark`, the store holds the write before this returns; otherwise the write
   * first waits for that read. Resolves to true when the store holds the written content; false
   * when the source does not watch the path, is not running, or found something newer (the
   * watcher's next event brings the store up to date). Never rejects.
   */
  wrote(spec: WrittenSpec): Promise<boolean>;
  /**
   * The parse the desired store holds for the file at real path `path` when its content has
   * `digest`; undefined otherwise. File names in it are the store's.
   */
  parsed(path: string, digest: string): ParseResult | undefined;
}
