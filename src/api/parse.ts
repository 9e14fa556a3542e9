import { CORE_SCHEMA, loadAll } from "js-yaml";
import { LineCounter, isMap, isScalar, parseAllDocuments, type Document, type Node } from "yaml";
import { formatSpecError, type SpecError, type SpecErrorCode } from "./errors.js";
import { explain } from "./messages.js";
import { yamlErrorMessage } from "./yaml-errors.js";
import { formatPath, pointerToPath, type FieldPath } from "./paths.js";
import { checkRules } from "./rules.js";
import { specHash } from "./hash.js";
import { API_GROUP, API_VERSION, KIND, type Project } from "./types.js";
import { schemaValidator } from "./validator.js";

/** Specs larger than this are refused before parsing. */
export const MAX_SPEC_BYTES = 1024 * 1024;
/** Aliases a document may expand; more is treated as an alias bomb. */
export const MAX_ALIASES = 100;

/** A valid, defaulted Project with where it came from. */
export interface ParsedProject {
  project: Project;
  file: string;
  /** 0-based index of the YAML document in the file. */
  document: number;
  line: number;
  /** Canonical hash of the defaulted spec. */
  hash: string;
}

/** Everything one file yields: its valid projects and the errors of the others. */
export interface ParseResult {
  projects: ParsedProject[];
  errors: SpecError[];
}

/**
 * Parses a YAML text of one or more Project documents, validates each against the CRD schema
 * and the cross-field rules, and applies defaults. Never throws for bad input: every problem is a
 * SpecError naming file, line, column and field path. A bad document does not hide good ones.
 */
export function parseProjects(text: string, file: string): ParseResult {
  return (Buffer.byteLength(text) <= MAX_SPEC_BYTES && parseFast(text, file)) || parseLocated(text, file);
}

/**
 * Aliases and merge keys take the located path, which bounds alias expansion. Every alias (`*`
 * and a name) is caught; `&&` and a lone `&`, common in shell commands, are no anchors.
 */
const MAY_USE_ALIASES = /(^|[\s[{,])(\*\S|&[^\s&]|<)/;

/**
 * The common case, a file of valid documents, parsed with a fast parser that keeps no source
 * positions. Returns undefined whenever anything is off, so that the located parser explains it.
 */
function parseFast(text: string, file: string): ParseResult | undefined {
  if (MAY_USE_ALIASES.test(text)) return undefined;
  let docs: unknown[];
  try {
    docs = loadAll(text, undefined, { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
  const starts = documentStartLines(text);
  if (starts.length !== docs.length) return undefined;
  const projects: ParsedProject[] = [];
  const validate = schemaValidator();
  for (const [index, data] of docs.entries()) {
    if (data === null || data === undefined) continue;
    if (typeof data !== "object" || Array.isArray(data) || checkKind(data as Record<string, unknown>, index))
      return undefined;
    if (validate(data).length > 0 || checkRules(data as Project).length > 0) return undefined;
    const project = data as Project;
    delete project.status;
    projects.push({ project, file, document: index, line: starts[index] ?? 1, hash: specHash(project.spec) });
  }
  return { projects, errors: [] };
}

/** The 1-based line where each YAML document's content starts (0 for an empty document). */
export function documentStartLines(text: string): number[] {
  const starts: number[] = [];
  let current: number | undefined;
  let open = false;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (/^---(\s|$)/.test(line)) {
      if (open) starts.push(current ?? 0);
      open = true;
      current = /^---\s+\S/.test(line) && !/^---\s+#/.test(line) ? i + 1 : undefined;
    } else if (/^\.\.\.(\s|$)/.test(line)) {
      if (open || current !== undefined) starts.push(current ?? 0);
      open = false;
      current = undefined;
    } else if (current === undefined && !/^\s*(#|$)/.test(line) && !(line.startsWith("%") && !open)) {
      current = i + 1;
      open = true;
    }
  }
  if (open) starts.push(current ?? 0);
  return starts;
}

/**
 * Parses with source positions, so that every problem names its line and column. Used for
 * files the fast path declined; same results for valid documents.
 */
export function parseLocated(text: string, file: string): ParseResult {
  const result: ParseResult = { projects: [], errors: [] };
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_SPEC_BYTES) {
    const size = (bytes / MAX_SPEC_BYTES).toFixed(1);
    result.errors.push(
      at(
        file,
        1,
        1,
        "TooLarge",
        `the file is ${size} MiB; a spec file may be at most 1 MiB, split it into several files`,
      ),
    );
    return result;
  }
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, index) => parseDocument(doc, index, file, lines, result, text));
  return result;
}

function at(
  file: string,
  line: number,
  column: number,
  code: SpecErrorCode,
  message: string,
  path = "",
): SpecError {
  return { code, file, line, column, path, message };
}

function parseDocument(
  doc: Document,
  index: number,
  file: string,
  lines: LineCounter,
  out: ParseResult,
  text: string,
): void {
  const pos = (offset: number) => lines.linePos(offset);
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const p = pos(e.pos[0]);
      out.errors.push(at(file, p.line, p.col, "Syntax", yamlErrorMessage(doc, e, lines, text)));
    }
    return;
  }
  if (doc.contents === null) return; // an empty document, e.g. a trailing `---`
  const start = pos(doc.contents.range?.[0] ?? 0);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch {
    const message = `document ${index + 1} expands too many aliases (more than ${MAX_ALIASES}); write the values out instead of using YAML aliases`;
    out.errors.push(at(file, start.line, start.col, "AliasLimit", message));
    return;
  }
  const located = (
    code: SpecErrorCode,
    path: FieldPath,
    message: string,
    point = path,
    atKey = false,
  ): SpecError => {
    const p = pos(offsetOf(doc, point, atKey));
    return at(file, p.line, p.col, code, message, formatPath(path));
  };
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    const message = `document ${index + 1} is not a mapping; a Project has apiVersion, kind, metadata and spec`;
    out.errors.push(at(file, start.line, start.col, "NotAMapping", message));
    return;
  }
  const obj = data as Record<string, unknown>;
  const kindError = checkKind(obj, index);
  if (kindError) {
    out.errors.push(located(kindError.code, [kindError.field], kindError.message));
    return;
  }
  const project = projectRef(obj);
  const errors: SpecError[] = [];
  for (const e of schemaValidator()(obj)) {
    const base = pointerToPath(e.instancePath, obj);
    const problem = explain(e, valueAt(obj, base));
    const path = problem.extra === undefined ? base : [...base, problem.extra];
    // a missing field points at its parent; an unknown one at its key
    errors.push(located(problem.code, path, problem.message, problem.atKey ? path : base, problem.atKey));
  }
  if (errors.length === 0) {
    for (const v of checkRules(obj as unknown as Project)) errors.push(located("Rule", v.path, v.message));
  }
  if (errors.length > 0) {
    for (const e of dedupe(errors).sort(byPosition)) out.errors.push(project ? { ...e, project } : e);
    return;
  }
  const valid = obj as unknown as Project;
  delete valid.status;
  out.projects.push({ project: valid, file, document: index, line: start.line, hash: specHash(valid.spec) });
}

function checkKind(
  obj: Record<string, unknown>,
  index: number,
): { code: SpecErrorCode; field: string; message: string } | undefined {
  const { apiVersion, kind } = obj;
  if (
    typeof apiVersion === "string" &&
    apiVersion.startsWith(`${API_GROUP}/`) &&
    apiVersion !== API_VERSION
  ) {
    return {
      code: "UnsupportedVersion",
      field: "apiVersion",
      message: `"${apiVersion}" is not supported; use ${API_VERSION}`,
    };
  }
  if (apiVersion === API_VERSION && kind === KIND) return undefined;
  if (apiVersion === API_VERSION && kind !== undefined) {
    return {
      code: "NotAProject",
      field: "kind",
      message: `${JSON.stringify(kind)} is not a kind Berth knows; use kind: ${KIND}`,
    };
  }
  const what =
    typeof kind === "string"
      ? `a ${kind}${typeof apiVersion === "string" ? ` (${apiVersion})` : ""}`
      : "not a Kubernetes-style object";
  return {
    code: "NotAProject",
    field: apiVersion === undefined ? "apiVersion" : "kind",
    message: `document ${index + 1} is ${what}, not a Project; Berth reads documents with apiVersion: ${API_VERSION} and kind: ${KIND}`,
  };
}

function projectRef(obj: Record<string, unknown>): { namespace: string; name: string } | undefined {
  const meta = obj["metadata"];
  if (meta === null || typeof meta !== "object") return undefined;
  const { name, namespace } = meta as Record<string, unknown>;
  if (typeof name !== "string") return undefined;
  return { name, namespace: typeof namespace === "string" ? namespace : "default" };
}

function valueAt(data: unknown, path: FieldPath): unknown {
  let node = data;
  for (const seg of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[seg];
  }
  return node;
}

/** The source offset of the node at `path`, or of its nearest ancestor that exists in the text. */
function offsetOf(doc: Document, path: FieldPath, atKey: boolean): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const prefix = path.slice(0, depth);
    if (atKey && depth === path.length && depth > 0) {
      const parent = doc.getIn(prefix.slice(0, -1), true);
      const key = prefix[prefix.length - 1];
      if (isMap(parent)) {
        const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === key);
        const keyNode = pair?.key as Node | undefined;
        if (keyNode?.range) return keyNode.range[0];
      }
      continue;
    }
    const node = (prefix.length === 0 ? doc.contents : doc.getIn(prefix, true)) as Node | undefined | null;
    if (node && typeof node === "object" && "range" in node && node.range) return node.range[0];
  }
  return 0;
}

function byPosition(a: SpecError, b: SpecError): number {
  return a.line - b.line || a.column - b.column;
}

function dedupe(errors: SpecError[]): SpecError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = formatSpecError(e);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
