/**
 * YAML parser errors in words that name the thing: a duplicate key names the key and the lines
 * of both definitions, not only "Map keys must be unique"; another error names the key written
 * on its line. Pure.
 */
import { isScalar, visit, type Document, type LineCounter, type YAMLError } from "yaml";

/** The message of one parser error of `doc`, naming the key or value it is about when it can. */
export function yamlErrorMessage(doc: Document, e: YAMLError, lines: LineCounter, text: string): string {
  const first = e.message.split("\n")[0] ?? "";
  if (e.code === "DUPLICATE_KEY") {
    const dup = duplicateOf(doc, e.pos[0]);
    if (dup) {
      const again = lines.linePos(e.pos[0]).line;
      const before = dup.first === undefined ? "" : `; first at line ${lines.linePos(dup.first).line}`;
      return `${JSON.stringify(dup.key)} is defined again at line ${again}${before}: a key may appear once in a mapping; remove one of them`;
    }
  }
  const here = keyOfLine(text, e.pos[0]);
  if (here !== undefined) return `YAML syntax error in ${JSON.stringify(here)}: ${first}`;
  const before = keyBefore(text, e.pos[0]);
  if (before !== undefined) return `YAML syntax error after ${JSON.stringify(before)}: ${first}`;
  return `YAML syntax error: ${first}`;
}

/** The key of the last non-blank line before the line of `offset`, if it has one. */
function keyBefore(text: string, offset: number): string | undefined {
  let end = text.lastIndexOf("\n", Math.max(0, offset - 1));
  while (end > 0) {
    const start = text.lastIndexOf("\n", end - 1) + 1;
    const line = text.slice(start, end);
    if (line.trim() !== "") return keyOfLine(text, start);
    end = start - 1;
  }
  return undefined;
}

/** The mapping key written on the line of `offset` (`  - name: x` -> `name`), if any. */
function keyOfLine(text: string, offset: number): string | undefined {
  const start = text.lastIndexOf("\n", Math.max(0, offset - 1)) + 1;
  const end = text.indexOf("\n", offset);
  const line = text.slice(start, end < 0 ? undefined : end);
  return /^\s*(?:-\s+)?([A-Za-z0-9_.-]+)\s*:/.exec(line)?.[1];
}

/** The key whose node starts at `offset`, and where the first key of the same name in its mapping starts. */
function duplicateOf(doc: Document, offset: number): { key: string; first: number | undefined } | undefined {
  let found: { key: string; first: number | undefined } | undefined;
  visit(doc, {
    Map(_, map) {
      const dup = map.items.find((it) => isScalar(it.key) && it.key.range?.[0] === offset);
      if (!dup || !isScalar(dup.key)) return undefined;
      const name = String(dup.key.value);
      const first = map.items.find((it) => it !== dup && isScalar(it.key) && String(it.key.value) === name);
      found = { key: name, first: isScalar(first?.key) ? first.key.range?.[0] : undefined };
      return visit.BREAK;
    },
  });
  return found;
}
