import { Document } from "yaml";
import { DirSync } from "../util/atomic-file.js";
import { KeyedMutex } from "../util/keyed-mutex.js";
import { CommitLog } from "./commit-log.js";
import { commitEdits } from "./file-commit.js";
import { specDigest, type SpecHandOver } from "./hand-over.js";
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
  ConflictError,
  type DesiredReader,
  type DesiredState,
  MAX_ALIASES,
  type ParseResult,
  parseProjects,
  ProjectNotFoundError,
  type ProjectOrigin,
  type ProjectPatch,
  projectKey,
  RESTARTED_AT_ANNOTATION,
  SpecInvalidError,
  type SpecWriter,
  type WriteAction,
  type WriteOptions,
  type WriteResult,
  keyOf,
  splitKey,
} from "../api/index.js";
import { isComposeFile } from "../compose/index.js";

/** Options of a {@link FileSpecWriter}. */
export interface FileSpecWriterOptions {
  /**
   * Takes every write's parse into the desired state (the file source), so that `desired` holds
   * a write when it returns and the file is not parsed again. Without it, the file source reads
   * the change as it reads any other.
   */
  handOver?: SpecHandOver;
}

/** A text's digest and its parse (the one parse and validation a write makes of a new text). */
interface TextParse {
  digest: string;
  parsed: ParseResult;
}

/** What an edit of one document produced. */
interface Edit {
  /** The new file text; undefined when the file goes. */
  text: string | undefined;
  restartedAt?: string;
  deleted?: boolean;
  /** The edited project must be valid in the new text (else SpecInvalidError). */
  validate?: boolean;
}

/**
 * Edits the desired state as YAML files in the watched directory `dir`. Every write re-reads the
 * file, finds the project's document by metadata name and namespace (the index in `desired` is a
 * hint), changes only that document's text, and replaces the file atomically. The new text is
 * parsed and validated once; that parse goes to the desired state through the hand-over, and the
 * result carries the generation the desired state then gives the spec. Writes to the same
 * project or file are serialized within this process; an `expectedHash` guards against edits
 * from other processes and people. Paths never leave `dir`. Methods are async, not retried, and
 * throw the typed errors of write-errors.ts.
 */
export class FileSpecWriter implements SpecWriter {
  private readonly locks = new KeyedMutex();
  private readonly commits = new CommitLog();
  /** Concurrent writes to one directory share its fsync. */
  private readonly committing = { dirSync: new DirSync(), log: this.commits };
  private readonly locator: SpecLocator;
  private readonly handOver: SpecHandOver | undefined;

  constructor(
    dir: string,
    private readonly desired: DesiredReader,
    options: FileSpecWriterOptions = {},
  ) {
    this.locator = new SpecLocator(dir, desired);
    this.handOver = options.handOver;
  }

  /**
   * Writes each project: it replaces the document that defines it (keeping the rest of the file
   * and, inside the document, what did not change), or goes to a new file `<name>.yaml`
   * (`<namespace>-<name>.yaml` outside "default"; `-2`, `-3`... when that name is taken). All
   * files are computed before any is written, and written files are restored if a later write
   * fails.
   */
  async apply(items: readonly ApplyItem[], options: { dryRun?: boolean } = {}): Promise<WriteResult[]> {
    const keys = items.map((i) => projectKey(i.project));
    const dup = keys.find((k, i) => keys.indexOf(k) !== i);
    if (dup) throw new BadRequestError(`project ${dup} appears twice in the request`, "apply it once");
    for (const key of keys) refuseCompose(key, this.desired.get(key)?.origin);
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
   * Applies a (checked) merge patch to project `key`'s document. Only the values that change are
   * touched in the text; comments, key order and the formatting of the rest stay as they are. The
   * patched document must be a valid project (else SpecInvalidError with its errors located in
   * the text that would have been written, and nothing is written).
   */
  async patch(key: string, patch: ProjectPatch, options: WriteOptions = {}): Promise<WriteResult> {
    return this.editOne(key, options, (file, index) => {
      const current = file.docs[index]?.toJS({ maxAliasCount: MAX_ALIASES }) as unknown;
      return { text: mergeDocument(file, index, applyProjectPatch(current, patch)), validate: true };
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
    edit: (file: YamlFile, index: number) => Edit,
  ): Promise<WriteResult> {
    const { namespace, name } = splitKey(key);
    refuseCompose(key, this.desired.get(key)?.origin);
    return this.locks.run([`key:${key}`], async () => {
      const since = this.commits.now();
      const [location] = await this.locator.locateAll([key]);
      if (!location) throw new ProjectNotFoundError(key);
      const path = location.path;
      return this.locks.run([`file:${path}`], async () => {
        const { text: before, file } = await this.current(location, since);
        const index = findDocument(file, key, path, location.hint);
        if (before === undefined || index === undefined) throw new ProjectNotFoundError(key);
        const old = options.expectedHash !== undefined ? this.parse(path, before) : undefined;
        if (old) this.checkExpected(key, old.parsed, options.expectedHash);
        const out = edit(file, index);
        const action: WriteAction = out.deleted ? "deleted" : out.text === before ? "unchanged" : "updated";
        const dryRun = options.dryRun === true;
        // the one parse of the new text: its hash, its validation, and what the desired state takes
        let next: TextParse | undefined;
        if (out.text !== undefined && (!out.deleted || (!dryRun && this.handOver)))
          next = out.text === before && old ? old : this.parse(path, out.text);
        if (out.validate && action === "updated" && next) requireValid(next.parsed, key);
        const hash = out.deleted || !next ? undefined : hashIn(next.parsed, key);
        const result: WriteResult = {
          key,
          namespace,
          name,
          file: path,
          action,
          dryRun,
          ...(hash !== undefined ? { hash } : {}),
          ...(out.restartedAt !== undefined ? { restartedAt: out.restartedAt } : {}),
        };
        if (dryRun || action === "unchanged") return this.withGeneration(result);
        const mark = this.handOver?.mark() ?? 0;
        await commitEdits([{ path, before, after: out.text }], this.committing);
        await this.handOverWrite({ path, before }, mark, out.text === undefined ? undefined : next);
        return this.withGeneration(result);
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
    const planned: Array<Omit<WriteResult, "dryRun">> = [];
    for (const [i, item] of items.entries()) {
      const key = keys[i] ?? "";
      const { namespace, name } = item.project.metadata;
      const source = withoutServerFields(sourceValue(item));
      const at = located[i];
      if (at) {
        const path = at.path;
        const entry = texts.get(path) ?? { before: await readText(path), after: undefined };
        const current = entry.after ?? entry.before ?? "";
        const file = entry.after === undefined ? parsedFile(current, at) : parseYamlFile(current);
        const index = findDocument(file, key, path, entry.after === undefined ? at.hint : undefined);
        if (index === undefined)
          throw new ConflictError(key, `moved out of ${path} while it was being written`);
        if (item.expectedHash !== undefined)
          this.checkExpected(key, this.parse(path, current).parsed, item.expectedHash);
        const next = mergeDocument(file, index, source);
        texts.set(path, { before: entry.before, after: next });
        planned.push({
          key,
          namespace,
          name,
          file: path,
          action: next === current ? "unchanged" : "updated",
        });
      } else {
        if (item.expectedHash !== undefined)
          throw new ConflictError(
            key,
            `does not exist, but the request expected spec hash ${item.expectedHash.slice(0, 12)}`,
          );
        const path = await this.locator.newFilePath(namespace, name, texts);
        texts.set(path, { before: undefined, after: renderNewDocument(item.source ?? source) });
        planned.push({ key, namespace, name, file: path, action: "created" });
      }
    }
    // one parse per file, of its final text: the hashes, and what the desired state takes
    const parses = new Map([...texts].map(([path, t]) => [path, this.parse(path, t.after ?? "")]));
    const results = planned.map((p): WriteResult => {
      const parsed = parses.get(p.file)?.parsed;
      const hash = parsed ? hashIn(parsed, p.key) : undefined;
      return { ...p, dryRun, ...(hash !== undefined ? { hash } : {}) };
    });
    if (dryRun) return results.map((r) => this.withGeneration(r));
    const edits = [...texts.entries()]
      .filter(([, t]) => t.after !== t.before)
      .map(([path, t]) => ({ path, ...t }));
    const mark = this.handOver?.mark() ?? 0;
    await commitEdits(edits, this.committing);
    await Promise.all(edits.map((e) => this.handOverWrite(e, mark, parses.get(e.path))));
    return results.map((r) => this.withGeneration(r));
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

  /**
   * The projects of `text` as the file at `path`, validated: the desired state's parse when it
   * holds this very text, else a new parse.
   */
  private parse(path: string, text: string): TextParse {
    const digest = specDigest(text);
    return { digest, parsed: this.handOver?.parsed(path, digest) ?? parseProjects(text, path) };
  }

  /** Hands a committed file, which had text `before`, to the desired state (`after` undefined: removed). */
  private async handOverWrite(
    edit: { path: string; before: string | undefined },
    mark: number,
    after: TextParse | undefined,
  ): Promise<void> {
    if (!this.handOver) return;
    const { path, before } = edit;
    const replaces = before === undefined ? {} : { replaces: specDigest(before) };
    await this.handOver.wrote(
      after ? { path, mark, ...replaces, ...after } : { path, mark, ...replaces, removed: true },
    );
  }

  /** `result` with the generation the desired state now gives its spec, when it holds that spec. */
  private withGeneration(result: WriteResult): WriteResult {
    if (result.action === "deleted" || result.hash === undefined) return result;
    if (result.dryRun && result.action !== "unchanged") return result;
    const now = this.desired.get(result.key);
    return now?.hash === result.hash ? { ...result, generation: now.generation } : result;
  }

  /** Throws ConflictError unless project `key` has spec hash `expected` in `parsed`. */
  private checkExpected(key: string, parsed: ParseResult, expected: string | undefined): void {
    if (expected === undefined) return;
    const actual = hashIn(parsed, key) ?? this.desired.get(key)?.hash;
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

/** The spec hash of project `key` in a file's parse, when its document is valid. */
function hashIn(parsed: ParseResult, key: string): string | undefined {
  return parsed.projects.find((p) => projectKey(p.project) === key)?.hash;
}

/** Throws SpecInvalidError, with the errors that say why, unless project `key` is valid in `parsed`. */
function requireValid(parsed: ParseResult, key: string): void {
  if (hashIn(parsed, key) !== undefined) return;
  const own = parsed.errors.filter(
    (e) => e.project !== undefined && keyOf(e.project.namespace, e.project.name) === key,
  );
  throw new SpecInvalidError(own.length > 0 ? own : parsed.errors);
}

/** A project that comes from a compose file is edited there, not through the Project API. */
function refuseCompose(key: string, origin: ProjectOrigin | undefined): void {
  if (origin?.kind !== "file" || !isComposeFile(origin.path)) return;
  const path = origin.path;
  throw new BadRequestError(
    `project ${key} comes from the compose file ${path}; Berth does not rewrite compose files`,
    "edit the compose file (it reconciles on save), or convert it with `berth import compose` and edit the Project spec",
  );
}
