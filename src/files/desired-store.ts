import { dirname } from "node:path";
import {
  type DesiredProject,
  type DesiredReader,
  type ParsedProject,
  type ParseResult,
  projectKey,
  type SpecError,
  keyOf,
} from "../api/index.js";

interface FileState {
  /** Last good definition of each project the file defines, by key, in document order. */
  defs: Map<string, ParsedProject>;
  errors: SpecError[];
  /** The content this state was made from, when it is known. */
  content?: FileContent;
}

/** The content a file's state was made from: its text's digest and the parse of that text. */
export interface FileContent {
  digest: string;
  parsed: ParseResult;
}

/**
 * The desired state assembled from spec files. One writer (the file source) calls `setFile` and
 * `removeFile`; everything else reads through DesiredReader. A project defined in two files
 * belongs to the file that defined it first and is reported as a duplicate in the other, until
 * the first stops defining it. A file with errors keeps its last good definitions. Each file's
 * state remembers the digest of the text it was parsed from, so that the same text is never
 * parsed twice.
 */
export class DesiredStore implements DesiredReader {
  private readonly files = new Map<string, FileState>();
  private readonly owners = new Map<string, string>();
  private readonly current = new Map<string, DesiredProject>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  get(key: string): DesiredProject | undefined {
    return this.current.get(key);
  }

  keys(): string[] {
    return [...this.current.keys()];
  }

  list(): DesiredProject[] {
    return [...this.current.values()];
  }

  errors(): SpecError[] {
    return [...this.files.values()].flatMap((f) => f.errors);
  }

  /**
   * The content `file`'s state was made from (see {@link setFile}); undefined when the file is
   * unknown or its last read failed.
   */
  content(file: string): FileContent | undefined {
    return this.files.get(file)?.content;
  }

  /**
   * Records what `file` now yields; `digest` is the digest of the text `parsed` came from
   * (omitted when there is no text, e.g. an unreadable file). Returns the keys whose desired
   * state or spec errors changed, which the caller enqueues. Synchronous; never throws.
   */
  setFile(file: string, parsed: ParseResult, digest?: string): string[] {
    const prev = this.files.get(file);
    const defs = new Map<string, ParsedProject>();
    for (const p of parsed.projects) {
      const key = projectKey(p.project);
      if (!defs.has(key)) defs.set(key, p);
    }
    // Keep the last good definition of projects this version of the file fails to define.
    const broken = parsed.errors.some((e) => !e.project);
    const named = new Set(
      parsed.errors.flatMap((e) => (e.project ? [keyOf(e.project.namespace, e.project.name)] : [])),
    );
    for (const [key, def] of prev?.defs ?? []) {
      if (!defs.has(key) && (broken || named.has(key))) defs.set(key, def);
    }
    this.files.set(file, {
      defs,
      errors: parsed.errors,
      ...(digest !== undefined ? { content: { digest, parsed } } : {}),
    });
    const touched = new Set([...defs.keys(), ...(prev?.defs.keys() ?? [])]);
    return this.resolve(touched);
  }

  /** Forgets a deleted file; returns the keys that changed. */
  removeFile(file: string): string[] {
    const prev = this.files.get(file);
    if (!prev) return [];
    this.files.delete(file);
    return this.resolve(new Set(prev.defs.keys()));
  }

  private resolve(keys: Set<string>): string[] {
    const changed: string[] = [];
    for (const key of keys) {
      const owner = this.pickOwner(key);
      const before = this.current.get(key);
      const after = owner ? this.build(key, owner, before) : undefined;
      if (!after) {
        this.owners.delete(key);
        if (before) {
          this.current.delete(key);
          changed.push(key);
        }
        continue;
      }
      this.owners.set(key, owner ?? "");
      if (!before || differs(before, after)) {
        this.current.set(key, after);
        changed.push(key);
      }
    }
    this.refreshDuplicateErrors();
    return changed;
  }

  private pickOwner(key: string): string | undefined {
    const owner = this.owners.get(key);
    if (owner !== undefined && this.files.get(owner)?.defs.has(key)) return owner;
    for (const [file, state] of this.files) if (state.defs.has(key)) return file;
    return undefined;
  }

  private build(key: string, file: string, before: DesiredProject | undefined): DesiredProject | undefined {
    const state = this.files.get(file);
    const def = state?.defs.get(key);
    if (!state || !def) return undefined;
    const sameSpec = before?.hash === def.hash;
    const generation = before ? (sameSpec ? before.generation : before.generation + 1) : 1;
    const project = structuredClone(def.project);
    const now = this.now();
    const creationTimestamp = before?.creationTimestamp ?? now.toISOString();
    const specChangedAt = before && sameSpec ? before.specChangedAt : now.getTime();
    project.metadata.generation = generation;
    project.metadata.creationTimestamp = creationTimestamp;
    const specErrors = state.errors.filter(
      (e) => !e.project || keyOf(e.project.namespace, e.project.name) === key,
    );
    return {
      key,
      project,
      generation,
      hash: def.hash,
      origin: { kind: "file", path: file, line: def.line, document: def.document },
      specDir: dirname(file),
      specChangedAt,
      creationTimestamp,
      specErrors,
    };
  }

  /** A definition that lost to another file's is an error in its own file. */
  private refreshDuplicateErrors(): void {
    for (const [file, state] of this.files) {
      const kept = state.errors.filter((e) => e.code !== "Duplicate");
      for (const [key, def] of state.defs) {
        const owner = this.owners.get(key);
        if (owner === undefined || owner === file) continue;
        const ownerDef = this.files.get(owner)?.defs.get(key);
        kept.push({
          code: "Duplicate",
          file: def.file,
          line: def.line,
          column: 1,
          path: "metadata.name",
          message: `project ${key} is already defined at ${ownerDef?.file ?? owner}:${ownerDef?.line ?? 1}; this definition is ignored`,
          project: { namespace: def.project.metadata.namespace, name: def.project.metadata.name },
        });
      }
      state.errors = kept;
    }
  }
}

function differs(a: DesiredProject, b: DesiredProject): boolean {
  return (
    a.hash !== b.hash ||
    JSON.stringify(a.origin) !== JSON.stringify(b.origin) ||
    JSON.stringify(a.project.metadata) !== JSON.stringify(b.project.metadata) ||
    JSON.stringify(a.specErrors) !== JSON.stringify(b.specErrors)
  );
}
