/**
 * The text side of spec file edits: a file split into one region per document (a document's
 * region starts where the previous one ends, so comments above a document belong to it), and the
 * rendering of one edited document back into the file's text, touching no other region. Changed
 * scalars are spliced into the original text when that is safe; otherwise the document is
 * re-rendered in the file's own indentation. Every result is parsed again and checked. Pure.
 */
import { isDeepStrictEqual } from "node:util";
import {
  isCollection,
  isMap,
  isSeq,
  parseAllDocuments,
  Scalar,
  visit,
  type Document,
  type Node,
  type ToStringOptions,
} from "yaml";
import { keepOriginalLines } from "./keep-lines.js";
import { MAX_ALIASES } from "../api/index.js";

/** A parsed spec file: its text, its documents and the text region of each document. */
export interface YamlFile {
  text: string;
  docs: Document.Parsed[];
  regions: Array<{ start: number; end: number }>;
}

/** A path into a document, as accepted by `Document.getIn`. */
export type YamlPath = readonly (string | number)[];

/** Parses a file's text. Never throws: documents with syntax errors carry them in `errors`. */
export function parseYamlFile(text: string): YamlFile {
  const docs = parseAllDocuments(text, { prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [];
  const regions: YamlFile["regions"] = [];
  let start = 0;
  list.forEach((doc, i) => {
    const end = i === list.length - 1 ? text.length : doc.range[2];
    regions.push({ start, end });
    start = end;
  });
  return { text, docs: list, regions };
}

/** True when some document with content is left, i.e. the file still defines something. */
export function hasContent(file: YamlFile): boolean {
  return file.docs.some((d) => d.contents !== null || d.errors.length > 0);
}

/** The file's text with document `index` replaced by `replacement` ("" removes it). */
export function spliceDocument(file: YamlFile, index: number, replacement: string): string {
  const region = file.regions[index];
  if (!region) throw new RangeError(`no document ${index}`);
  let body = replacement;
  if (body !== "" && !body.endsWith("\n") && region.end < file.text.length) body += "\n";
  if (index > 0 && body !== "" && !/^(%|---)/.test(firstContentLine(body))) body = `---\n${body}`;
  return file.text.slice(0, region.start) + body + file.text.slice(region.end);
}

/**
 * Splices the changed scalars into the original text when that is safe, else re-renders the
 * whole document; either result is checked by parsing it again, and falls back to re-rendering.
 */
export function renderEdit(
  file: YamlFile,
  index: number,
  doc: Document,
  scalars: Scalar[] | undefined,
): string {
  const expected = doc.toJS({ maxAliasCount: MAX_ALIASES }) as unknown;
  if (scalars) {
    const spliced = spliceScalars(file.text, scalars);
    if (spliced !== undefined && sameDocuments(file, spliced, index, expected)) return spliced;
  }
  const rendered = spliceDocument(file, index, doc.toString(renderOptions(file, doc)));
  // the user's own spacing on every line that did not change
  const kept = keepOriginalLines(file.text, rendered);
  if (kept !== rendered && sameDocuments(file, kept, index, expected)) return kept;
  if (sameDocuments(file, rendered, index, expected)) return rendered;
  throw new Error(`internal error: re-rendering document ${index + 1} changed the other documents`);
}

function spliceScalars(text: string, scalars: Scalar[]): string | undefined {
  const sorted = [...scalars].sort((a, b) => (b.range?.[0] ?? 0) - (a.range?.[0] ?? 0));
  let out = text;
  for (const s of sorted) {
    const range = s.range;
    if (!range || text.slice(range[0], range[1]).includes("\n")) return undefined;
    const source = scalarSource(s);
    if (source === undefined) return undefined;
    out = out.slice(0, range[0]) + source + out.slice(range[1]);
  }
  return out;
}

/** One-line source text of a scalar in its style, or undefined when it needs a block scalar. */
function scalarSource(s: Scalar): string | undefined {
  const v = s.value;
  if (v === null) return "null";
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v !== "string") return undefined;
  if (s.type === Scalar.QUOTE_SINGLE && !v.includes("\n")) return `'${v.replaceAll("'", "''")}'`;
  if (s.type === Scalar.PLAIN && isPlainSafe(v)) return v;
  return JSON.stringify(v);
}

const PLAIN = /^[A-Za-z0-9_./][A-Za-z0-9_./:@+-]*$/;
const NOT_STRINGS =
  /^(true|false|null|~|yes|no|on|off|y|n|[-+]?(\d[\d_]*(\.\d*)?|\.\d+)([eE][-+]?\d+)?|0x[0-9a-fA-F]+|0o[0-7]+|\.inf|\.nan)$/i;

const TIMESTAMP = /^\d{4}-\d\d?-\d\d?([Tt ]|$)/;

/**
 * Whether a string can be written as a plain scalar and read back as the same string, also by
 * YAML 1.1 readers (which take `yes` for a boolean and a date for a timestamp).
 */
export function isPlainSafe(v: string): boolean {
  return PLAIN.test(v) && !v.endsWith(":") && !NOT_STRINGS.test(v) && !TIMESTAMP.test(v);
}

function sameDocuments(before: YamlFile, text: string, index: number, expected: unknown): boolean {
  const after = parseAllDocuments(text, { prettyErrors: false });
  if (!Array.isArray(after) || after.length !== before.docs.length) return false;
  return after.every((doc, i) => {
    if (i !== index) return doc.errors.length > 0 || isDeepStrictEqual(js(doc), js(before.docs[i]));
    return doc.errors.length === 0 && isDeepStrictEqual(js(doc), expected);
  });
}

function js(doc: Document | undefined): unknown {
  if (!doc || doc.errors.length > 0) return undefined;
  return doc.toJS({ maxAliasCount: MAX_ALIASES }) as unknown;
}

/** Rendering options that follow the document's own indentation where it shows one. */
export function renderOptions(file?: YamlFile, doc?: Document): ToStringOptions {
  const base: ToStringOptions = { flowCollectionPadding: false, lineWidth: 0 };
  if (!file || !doc) return base;
  let indent: number | undefined;
  let indentSeq: boolean | undefined;
  visit(doc, {
    Pair: (_key, pair) => {
      const key = pair.key as Node | null;
      const value = pair.value as Node | null;
      if (!key?.range || !value?.range || (isCollection(value) && value.flow)) return undefined;
      const keyCol = column(file.text, key.range[0]);
      if (indentSeq === undefined && isSeq(value)) indentSeq = column(file.text, value.range[0]) > keyCol;
      if (indent === undefined && isMap(value) && value.items[0]) {
        const child = value.items[0].key as Node | null;
        if (child?.range) indent = column(file.text, child.range[0]) - keyCol;
      }
      return indent !== undefined && indentSeq !== undefined ? visit.BREAK : undefined;
    },
  });
  return {
    ...base,
    ...(indent !== undefined && indent >= 1 && indent <= 8 ? { indent } : {}),
    ...(indentSeq !== undefined ? { indentSeq } : {}),
  };
}

function column(text: string, offset: number): number {
  return offset - (text.lastIndexOf("\n", offset - 1) + 1);
}

function firstContentLine(text: string): string {
  return text.split("\n").find((l) => !/^\s*(#|$)/.test(l)) ?? "";
}
