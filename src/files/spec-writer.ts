import { Document } from "yaml";
import { DirSync, removeFile, writeTextAtomic } from "../util/atomic-file.js";
import { KeyedMutex } from "../util/keyed-mutex.js";
import { readText, SpecLocator, type SpecLocation } from "./spec-locator.js";
import {
  findDocument,
  mergeDocument,
  renderNewDocument,
  setDocumentValue,
  withoutServerFields,
} from "./spec-yaml.js";
import { hasContent, parseYamlFile, spliceDocument, type YamlFile } from "./spec-yaml-text.js";
import {
  type ApplyItem,
  applyProjectPatch,
  BadRequestError,
  checkProjectPatch,
  ConflictError,
  type DesiredReader,
  type DesiredState,
  MAX_ALIASES,
  parseProjects,
  ProjectNotFoundError,
  type ProjectPatch,
  RESTARTED_AT_ANNOTATION,
  SpecInvalidError,
  type SpecWriter,
  type WriteAction,
  type WriteOptions,
  type WriteResult,
} from "../api/index.js";

interface FileEdit {
  path: string;
  before: string | undefined;
  after: string | undefined;
}

/**
 * Edits the desired state as YAML files in the watched directory `dir`. Every write re-reads the
 * file, finds the project's document by metadata name and namespace (the index in `desired` is a
 * hint), changes only that document's text, and replaces the file atomically. Writes to the same
 * project or file are serialized within this process; an `expectedHash` guards against edits
 * from other processes and people. Paths never leave `dir`. Methods are async, not retried, and
 * throw the typed errors of service-errors.ts. The file source picks the changes up as usual.
 */
export class FileSpecWriter implements SpecWriter {
  private readonly locks = new KeyedMutex();
  /** Concurrent writes to one directory share its fsync. */
  private readonly dirSync = new DirSync();
  private readonly commits = new CommitLog();
  private readonly locator: SpecLocator;

  constructor(
    dir: string,
    private readonly desired: DesiredReader,
  ) {
    this.locator = new SpecLocator(dir, desired);
  }

  /**
   * Writes each project: it replaces the document that defines it (keeping the rest of the file
   * and, inside the document, what did not change), or goes to a new file `<name>.yaml`
   * (`<namespace>-<name>.yaml` outside "default"; `-2`, `-3`... when that name is taken). All
   * files are computed before any is written, and written files are restored if a later write
   * fails.
   */
  async apply(items: readonly ApplyItem[], options: { dryRun?: boolean } = {}): Promise<WriteResult[]> {
    const keys = items.map((i) => `${i.project.metadata.namespace}/${i.project.metadata.name}`);
    const dup = keys.find((k, i) => keys.indexOf(k) !== i);
    if (dup) throw new BadRequestError(`project ${dup} appears twice in the request`, "apply it once");
    return this.locks.run(
      keys.map((k) => `key:${k}`),
      async () => {
        const located = await this.locator.locateAll(keys);
        const paths = located.flatMap((l) => (l ? [l.path] : []));
        return this.locks.run(
          paths.map((p) => `file:${p}`),
          () => this.applyLocked(items, keys, located, options.dryRun === true),
        );
      },
    );
  }

  /** Sets `spec.state` of project `key`. Throws ProjectNotFoundError when it is not defined. */
  async setState(key: string, state: DesiredState, options: WriteOptions = {}): Promise<WriteResult> {
    if (state !== "Running" && state !== "Stopped") {
      throw new BadRequestError(`state must be Running or Stopped, not ${JSON.stringify(state)}`);
    }
    return this.editOne(key, options, (file, index) => ({
      text: setDocumentValue(file, index, ["spec", "state"], state),
    }));
  }

  /**
   * Sets the `berth.dev/restartedAt` annotation of project `key` to `now` (RFC 3339, made later
   * by a millisecond when it equals the current value, so that every call restarts).
   */
  async restart(key: string, now: Date, options: WriteOptions = {}): Promise<WriteResult> {
    return this.editOne(key, options, (file, index) => {
      const current = file.docs[index]?.getIn(["metadata", "annotations", RESTARTED_AT_ANNOTATION]);
      let stamp = now.toISOString();
      if (typeof current === "string" && current >= stamp) {
        const prev = Date.parse(current);
        if (!Number.isNaN(prev)) stamp = new Date(prev + 1).toISOString();
      }
      const path = ["metadata", "annotations", RESTARTED_AT_ANNOTATION];
      return { text: setDocumentValue(file, index, path, stamp), restartedAt: stamp };
    });
  }

  /**
   * Applies a merge patch to project `key`'s document. Only the values that change are touched
   * in the text; comments, key order and the formatting of the rest stay as they are. The
   * patched document must be a valid project (else SpecInvalidError with its errors located in
   * the text that would have been written, and nothing is written).
   */
  async patch(key: string, patch: ProjectPatch, options: WriteOptions = {}): Promise<WriteResult> {
    const checked = checkProjectPatch(patch);
    return this.editOne(key, options, (file, index, path) => {
      const current = file.docs[index]?.toJS({ maxAliasCount: MAX_ALIASES }) as unknown;
      const text = mergeDocument(file, index, applyProjectPatch(current, checked));
      return text === file.text ? { text } : { text, hash: patchedHash(text, key, path) };
    });
  }

  /** Removes project `key`'s document; deletes the file when no document is left in it. */
  async delete(key: string, options: WriteOptions = {}): Promise<WriteResult> {
    return this.editOne(key, options, (file, index) => {
      const text = spliceDocument(file, index, "");
      return { text: hasContent(parseYamlFile(text)) ? text : undefined, deleted: true };
    });
  }

  private async editOne(
    key: string,
    options: WriteOptions,
    edit: (
      file: YamlFile,
      index: number,
      path: string,
    ) => { text: string | undefined; hash?: string; restartedAt?: string; deleted?: boolean },
  ): Promise<WriteResult> {
    const [namespace = "", name = ""] = key.split("/");
    return this.locks.run([`key:${key}`], async () => {
      const since = this.commits.now();
      const [location] = await this.locator.locateAll([key]);
      if (!location) throw new ProjectNotFoundError(key);
      return this.locks.run([`file:${location.path}`], async () => {
        const { text: before, file } = await this.current(location, since);
        const index = findDocument(file, key, location.path, location.hint);
        if (before === undefined || index === undefined) throw new ProjectNotFoundError(key);
        this.checkExpected(key, before, location.path, options.expectedHash);
        const out = edit(file, index, location.path);
        const action: WriteAction = out.deleted ? "deleted" : out.text === before ? "unchanged" : "updated";
        const hash = out.deleted ? undefined : (out.hash ?? hashIn(out.text ?? "", key, location.path));
        const result: WriteResult = {
          key,
          namespace,
          name,
          file: location.path,
          action,
          dryRun: options.dryRun === true,
          ...(hash !== undefined ? { hash } : {}),
          ...(out.restartedAt !== undefined ? { restartedAt: out.restartedAt } : {}),
        };
        if (options.dryRun || action === "unchanged") return result;
        await this.commit([{ path: location.path, before, after: out.text }]);
        this.locator.remember(key, out.deleted ? undefined : location.path);
        return result;
      });
    });
  }

  private async applyLocked(
    items: readonly ApplyItem[],
    keys: string[],
    located: Array<SpecLocation | undefined>,
    dryRun: boolean,
  ): Promise<WriteResult[]> {
    const texts = new Map<string, { before: string | undefined; after: string | undefined }>();
    const results: WriteResult[] = [];
    for (const [i, item] of items.entries()) {
      const key = keys[i] ?? "";
      const { namespace, name } = item.project.metadata;
      const source = withoutServerFields(sourceValue(item));
      const at = located[i];
      let path: string;
      let action: WriteAction;
      if (at) {
        path = at.path;
        const entry = texts.get(path) ?? { before: await readText(path), after: undefined };
        const current = entry.after ?? entry.before ?? "";
        const file = entry.after === undefined ? parsedFile(current, at) : parseYamlFile(current);
        const index = findDocument(file, key, path, entry.after === undefined ? at.hint : undefined);
        if (index === undefined)
          throw new ConflictError(key, `moved out of ${path} while it was being written`);
        if (item.expectedHash !== undefined) this.checkExpected(key, current, path, item.expectedHash);
        const next = mergeDocument(file, index, source);
        action = next === current ? "unchanged" : "updated";
        texts.set(path, { before: entry.before, after: next });
      } else {
        if (item.expectedHash !== undefined)
          throw new ConflictError(
            key,
            `does not exist, but the request expected spec hash ${item.expectedHash.slice(0, 12)}`,
          );
        path = await this.locator.newFilePath(namespace, name, texts);
        action = "created";
        texts.set(path, { before: undefined, after: renderNewDocument(item.source ?? source) });
      }
      const hash = hashIn(texts.get(path)?.after ?? "", key, path) ?? undefined;
      results.push({ key, namespace, name, file: path, action, dryRun, ...(hash ? { hash } : {}) });
    }
    if (dryRun) return results;
    const edits = [...texts.entries()]
      .filter(([, t]) => t.after !== t.before)
      .map(([path, t]) => ({ path, ...t }));
    await this.commit(edits);
    results.forEach((r) => this.locator.remember(r.key, r.file));
    return results;
  }

  /**
   * The text and parse of a located file, under its file lock. The locator read it before the
   * lock was taken; when no write of this writer has touched the file since `since`, that read is
   * as fresh as a new one (other processes' edits race with any read alike, and are caught by
   * `expectedHash`), so it saves a read and a parse. Else the file is read again.
   */
  private async current(
    location: SpecLocation,
    since: number,
  ): Promise<{ text: string | undefined; file: YamlFile }> {
    const confirmed = location.confirmed;
    location.confirmed = undefined; // edits change a parsed file in place: use it once
    if (confirmed && this.commits.unchangedSince(location.path, since)) return confirmed;
    const text = await readText(location.path);
    return {
      text,
      file: confirmed !== undefined && confirmed.text === text ? confirmed.file : parseYamlFile(text ?? ""),
    };
  }

  /** Writes all edits; if one fails, restores the files already written and rethrows. */
  private async commit(edits: readonly FileEdit[]): Promise<void> {
    const done: FileEdit[] = [];
    try {
      for (const e of edits) {
        if (e.after === undefined) await removeFile(e.path, { dirSync: this.dirSync });
        else
          await writeTextAtomic(e.path, e.after, {
            exclusive: e.before === undefined,
            dirSync: this.dirSync,
          });
        done.push(e);
      }
    } catch (err) {
      for (const e of done.reverse()) {
        const restore =
          e.before === undefined
            ? removeFile(e.path, { dirSync: this.dirSync })
            : writeTextAtomic(e.path, e.before, { dirSync: this.dirSync });
        await restore.catch(() => undefined);
      }
      throw err;
    } finally {
      for (const e of edits) this.commits.mark(e.path);
    }
  }

  private checkExpected(key: string, text: string, path: string, expected: string | undefined): void {
    if (expected === undefined) return;
    const actual = hashIn(text, key, path) ?? this.desired.get(key)?.hash;
    if (actual !== expected) throw ConflictError.hashMismatch(key, expected, actual);
  }
}

function sourceValue(item: ApplyItem): unknown {
  const s = item.source;
  if (s instanceof Document) return s.toJS({ maxAliasCount: MAX_ALIASES }) as unknown;
  return s ?? item.project;
}

/** The parse of `text`: the locator's when it read the same text, else a new one. */
function parsedFile(text: string | undefined, location: SpecLocation): YamlFile {
  const confirmed = location.confirmed;
  location.confirmed = undefined; // edits change a parsed file in place: hand it out once
  return confirmed !== undefined && confirmed.text === text ? confirmed.file : parseYamlFile(text ?? "");
}

/** When this writer last wrote each file, as a sequence number; bounded, forgetting conservatively. */
class CommitLog {
  private seq = 0;
  /** Every commit not in `last` has a sequence number <= floor. */
  private floor = 0;
  private readonly last = new Map<string, number>();

  now(): number {
    return this.seq;
  }

  /** Records a write of `path` that has just ended. */
  mark(path: string): void {
    if (this.last.size >= 4096) {
      this.last.clear();
      this.floor = this.seq;
    }
    this.last.set(path, ++this.seq);
  }

  /** True when no write of `path` ended after `now()` returned `since`. */
  unchangedSince(path: string, since: number): boolean {
    return (this.last.get(path) ?? this.floor) <= since;
  }
}

/**
 * The spec hash of project `key` in patched `text`, from one parse that also validates it:
 * throws SpecInvalidError when the project is not valid there, with the errors that say why.
 */
function patchedHash(text: string, key: string, path: string): string {
  const parsed = parseProjects(text, path);
  const found = parsed.projects.find(
    (p) => `${p.project.metadata.namespace}/${p.project.metadata.name}` === key,
  );
  if (found) return found.hash;
  const own = parsed.errors.filter(
    (e) => e.project !== undefined && `${e.project.namespace}/${e.project.name}` === key,
  );
  throw new SpecInvalidError(own.length > 0 ? own : parsed.errors);
}

/** The spec hash of project `key` in a file's text, when its document is valid. */
function hashIn(text: string, key: string, path: string): string | undefined {
  return parseProjects(text, path).projects.find(
    (p) => `${p.project.metadata.namespace}/${p.project.metadata.name}` === key,
  )?.hash;
}
