/**
 * Text-preserving edits of multi-document YAML spec files, for the spec writer. An edit touches
 * the text of one document only; every other byte of the file is kept (see spec-yaml-text.ts).
 * Inside the edited document, equal values keep their text and comments; the `yaml` Document API
 * keeps comments, quoting and flow/block styles of what it re-renders. No I/O; the edit functions
 * change the parsed document in place, so parse the file again before the next edit.
 */
import { Document, isAlias, isCollection, isMap, isScalar, isSeq, Scalar, visit, type Node } from "yaml";
import { isPlainSafe, renderEdit, renderOptions, type YamlFile, type YamlPath } from "./spec-yaml-text.js";
import { FileInvalidError, MAX_ALIASES } from "../api/index.js";

/** Metadata fields a server writes; never stored in a spec file. */
export const SERVER_METADATA_FIELDS = [
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "managedFields",
] as const;

/** `namespace/name` of a document that names a project, else undefined. */
export function documentKey(doc: Document.Parsed): string | undefined {
  if (doc.errors.length > 0) return undefined;
  const name = doc.getIn(["metadata", "name"]);
  const ns = doc.getIn(["metadata", "namespace"]);
  if (typeof name !== "string") return undefined;
  return `${typeof ns === "string" ? ns : "default"}/${name}`;
}

/**
 * The index of the document that defines `key`, trying `hint` (the index the desired state
 * recorded) first. Throws FileInvalidError when the only candidate is a document with syntax
 * errors that may be the project, since editing around it could lose the user's work.
 */
export function findDocument(file: YamlFile, key: string, path: string, hint?: number): number | undefined {
  if (hint !== undefined && file.docs[hint] && documentKey(file.docs[hint]) === key) return hint;
  const found = file.docs.findIndex((d) => documentKey(d) === key);
  if (found >= 0) return found;
  const broken = file.docs.findIndex((d) => d.errors.length > 0);
  if (broken >= 0 && hint === broken) {
    throw new FileInvalidError(path, `document ${broken + 1} has a YAML syntax error`);
  }
  return undefined;
}

/**
 * Sets the value at `path` of document `index` (creating maps along the way) and returns the new
 * file text. Replacing one scalar splices its text; anything else re-renders the document.
 */
export function setDocumentValue(file: YamlFile, index: number, path: YamlPath, value: unknown): string {
  const doc = editable(file, index);
  const node = doc.getIn(path, true);
  if (isScalar(node)) {
    if (node.value === value) return file.text;
    node.value = value;
    if (typeof value === "string" && !isPlainSafe(value)) node.type = Scalar.QUOTE_DOUBLE;
    return renderEdit(file, index, doc, [node]);
  }
  ensureSet(doc, path, value);
  return renderEdit(file, index, doc, undefined);
}

/**
 * Makes document `index` equal to `value` (a plain JSON-like object) while keeping what did not
 * change: equal values keep their text and comments, changed scalars are spliced, new keys are
 * added and removed ones deleted. Returns the new file text (the same text when nothing changed).
 */
export function mergeDocument(file: YamlFile, index: number, value: unknown): string {
  const doc = editable(file, index);
  if (usesAliases(doc)) {
    doc.contents = doc.createNode(value) as typeof doc.contents;
    return renderEdit(file, index, doc, undefined);
  }
  const edits: Edits = { structural: false, scalars: [] };
  doc.contents = merge(doc, doc.contents, value, edits) as typeof doc.contents;
  if (!edits.structural && edits.scalars.length === 0) return file.text;
  return renderEdit(file, index, doc, edits.structural ? undefined : edits.scalars);
}

/**
 * The text of a new spec document for `source`: a block-style YAML document from the user's
 * request keeps its comments; anything else (JSON, flow style, a plain object) is rendered in
 * block style. Status and server metadata are left out.
 */
export function renderNewDocument(source: Document | unknown): string {
  let doc: Document;
  if (source instanceof Document && isMap(source.contents) && !source.contents.flow) {
    doc = source.clone();
    if (doc.directives) doc.directives.docStart = null;
    stripServerFields(doc);
  } else {
    const data = source instanceof Document ? source.toJS({ maxAliasCount: MAX_ALIASES }) : source;
    doc = new Document(withoutServerFields(data));
  }
  return doc.toString(renderOptions());
}

/** A copy of a project object without `status` and server-written metadata. */
export function withoutServerFields(data: unknown): unknown {
  if (data === null || typeof data !== "object" || Array.isArray(data)) return data;
  const { status: _status, ...rest } = data as Record<string, unknown>;
  const meta = rest["metadata"];
  if (meta !== null && typeof meta === "object" && !Array.isArray(meta)) {
    const copy = { ...(meta as Record<string, unknown>) };
    for (const f of SERVER_METADATA_FIELDS) delete copy[f];
    rest["metadata"] = copy;
  }
  return rest;
}

function stripServerFields(doc: Document): void {
  doc.deleteIn(["status"]);
  for (const f of SERVER_METADATA_FIELDS) doc.deleteIn(["metadata", f]);
}

interface Edits {
  structural: boolean;
  scalars: Scalar[];
}

/** The document to edit in place; the caller parses the file again before its next edit. */
function editable(file: YamlFile, index: number): Document.Parsed {
  const doc = file.docs[index];
  if (!doc) throw new RangeError(`no document ${index}`);
  if (doc.errors.length > 0) throw new Error(`document ${index + 1} has syntax errors and cannot be edited`);
  return doc;
}

function merge(doc: Document, node: unknown, value: unknown, edits: Edits): unknown {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    if (!isMap(node)) return replaced(doc, value, edits);
    const entries = Object.entries(value as Record<string, unknown>);
    const wanted = new Map(entries);
    const kept = node.items.filter((p) => isScalar(p.key) && wanted.has(String(p.key.value)));
    if (kept.length !== node.items.length) edits.structural = true;
    node.items = kept;
    const order = entries.map(([k]) => k);
    for (const [k, v] of entries) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === k);
      if (pair) pair.value = merge(doc, pair.value, v, edits) as typeof pair.value;
      else {
        node.items.push(doc.createPair(k, v));
        edits.structural = true;
      }
    }
    const pos = (p: (typeof node.items)[number]) => order.indexOf(String((p.key as Scalar).value));
    const sorted = [...node.items].sort((a, b) => pos(a) - pos(b));
    if (sorted.some((p, i) => p !== node.items[i])) edits.structural = true;
    node.items = sorted;
    return node;
  }
  if (Array.isArray(value)) {
    if (!isSeq(node)) return replaced(doc, value, edits);
    if (node.items.length !== value.length) edits.structural = true;
    node.items = value.map((v, i) =>
      i < node.items.length ? merge(doc, node.items[i], v, edits) : doc.createNode(v),
    );
    return node;
  }
  if (!isScalar(node)) return replaced(doc, value, edits);
  if (node.value === value) return node;
  node.value = value;
  if (typeof value === "string" && node.type === Scalar.PLAIN && !isPlainSafe(value)) {
    node.type = Scalar.QUOTE_DOUBLE;
  }
  edits.scalars.push(node);
  return node;
}

function replaced(doc: Document, value: unknown, edits: Edits): Node {
  edits.structural = true;
  return doc.createNode(value);
}

function ensureSet(doc: Document, path: YamlPath, value: unknown): void {
  for (let i = 1; i < path.length; i++) {
    const node = doc.getIn(path.slice(0, i), true);
    if (!isCollection(node)) {
      const rest = path.slice(i).reduceRight<unknown>((v, k) => ({ [String(k)]: v }), value);
      doc.setIn(path.slice(0, i), quoted(doc.createNode(rest)));
      return;
    }
  }
  doc.setIn(path, quoted(doc.createNode(value)));
}

/** Double-quotes new string scalars that a YAML 1.1 reader could take for something else. */
function quoted(node: Node): Node {
  visit(node, {
    Scalar: (_key, s) => {
      if (typeof s.value === "string" && !isPlainSafe(s.value)) s.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return node;
}

function usesAliases(doc: Document): boolean {
  let found = false;
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node) || (isCollection(node) || isScalar(node) ? node.anchor : undefined)) {
        found = true;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}
