import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Node } from "yaml";
import { ComposeLoadError, type ComposeLocation } from "./errors.js";

/** A path into a compose document: keys and sequence indexes. */
export type KeyPath = readonly (string | number)[];

/** `services.web.ports[0]`, the form findings and errors show. */
export function formatKeyPath(path: KeyPath): string {
  let out = "";
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : out === "" ? seg : `.${seg}`;
  return out;
}

/** A parsed compose file: its data and where each of its keys and values is written. */
export interface LocatedFile {
  /** Absolute path. */
  path: string;
  /** How the file is named in messages. */
  display: string;
  data: Record<string, unknown>;
  /** The location of the node at a key path (its key when it is a mapping entry). */
  locate(path: KeyPath): ComposeLocation;
}

/**
 * Parses one compose file's text with source positions. Throws ComposeLoadError (file:line:col)
 * for a YAML syntax error or a document that is not a mapping. Aliases and merge keys (`<<`)
 * are expanded, as Docker Compose does, up to 1000 aliases.
 */
export function parseComposeText(text: string, path: string, display: string): LocatedFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true, uniqueKeys: true });
  const at = (offset: number): ComposeLocation => {
    const p = lines.linePos(offset);
    return { file: display, line: p.line, column: p.col };
  };
  const first = doc.errors[0];
  if (first) {
    throw new ComposeLoadError(
      at(first.pos[0]),
      "",
      `YAML syntax error: ${first.message.split("\n")[0] ?? ""}`,
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (cause) {
    throw new ComposeLoadError(at(0), "", `the file expands too many YAML aliases`, { cause });
  }
  if (data === null || data === undefined) data = {};
  if (typeof data !== "object" || Array.isArray(data)) {
    throw new ComposeLoadError(
      at(doc.contents?.range?.[0] ?? 0),
      "",
      "a compose file is a mapping (services:, volumes:, ...)",
    );
  }
  const positions = new Map<string, number>();
  record(doc.contents as Node | null, [], positions);
  return {
    path,
    display,
    data: data as Record<string, unknown>,
    locate(keyPath) {
      for (let n = keyPath.length; n >= 0; n--) {
        const offset = positions.get(formatKeyPath(keyPath.slice(0, n)));
        if (offset !== undefined) return at(offset);
      }
      return at(0);
    },
  };
}

function record(node: Node | null | undefined, path: (string | number)[], out: Map<string, number>): void {
  if (!node) return;
  if (!out.has(formatKeyPath(path)) && node.range) out.set(formatKeyPath(path), node.range[0]);
  if (isMap(node)) {
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const key = isScalar(item.key) ? String(item.key.value) : undefined;
      if (key === undefined) continue;
      const keyNode = item.key as Node;
      const child = [...path, key];
      if (keyNode.range) out.set(formatKeyPath(child), keyNode.range[0]);
      record(item.value as Node | null, child, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => record(item as Node | null, [...path, i], out));
  }
}
