/**
 * Compose interpolation of one string, as the Compose Specification defines it: `$VAR`,
 * `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`, `${VAR:+alt}`,
 * `${VAR+alt}` (defaults and alternatives may hold further interpolation) and `$$` for a `$`.
 * Pure.
 */

/** Looks a variable up; undefined when it is not set. */
export type Lookup = (name: string) => string | undefined;

/** A `${VAR:?err}` whose variable is unset (or empty), or a malformed expression. */
export class InterpolationError extends Error {
  override name = "InterpolationError";
}

const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*/;

/**
 * Substitutes every expression of `text`. `missing` is told each variable that was unset and had
 * no default (it becomes the empty string, as in Docker Compose). Throws InterpolationError.
 */
export function interpolate(
  text: string,
  lookup: Lookup,
  missing: (name: string) => void = () => {},
): string {
  if (!text.includes("$")) return text;
  let out = "";
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch !== "$") {
      out += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
    } else if (next === "{") {
      const end = closingBrace(text, i + 2);
      if (end < 0) throw new InterpolationError(`invalid interpolation format for "${text}": no closing "}"`);
      out += expand(text.slice(i + 2, end), lookup, missing, text);
      i = end + 1;
    } else {
      const m = NAME.exec(text.slice(i + 1));
      if (!m) {
        // a lone `$` stays as written, as Docker Compose does
        out += "$";
        i++;
        continue;
      }
      out += valueOf(m[0], lookup, missing);
      i += 1 + m[0].length;
    }
  }
  return out;
}

function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === "$" && text[i + 1] === "{") {
      depth++;
      i++;
    } else if (text[i] === "}") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function valueOf(name: string, lookup: Lookup, missing: (name: string) => void): string {
  const v = lookup(name);
  if (v === undefined) {
    missing(name);
    return "";
  }
  return v;
}

const OPERATORS = [":-", ":?", ":+", "-", "?", "+"] as const;

function expand(body: string, lookup: Lookup, missing: (name: string) => void, whole: string): string {
  const m = NAME.exec(body);
  if (!m) throw new InterpolationError(`invalid interpolation format for "${whole}": "\${${body}}"`);
  const name = m[0];
  const rest = body.slice(name.length);
  if (rest === "") return valueOf(name, lookup, missing);
  const op = OPERATORS.find((o) => rest.startsWith(o));
  if (!op) throw new InterpolationError(`invalid interpolation format for "${whole}": "\${${body}}"`);
  const arg = () => interpolate(rest.slice(op.length), lookup, missing);
  const value = lookup(name);
  const unsetOrEmpty = value === undefined || value === "";
  switch (op) {
    case ":-":
      return unsetOrEmpty ? arg() : value;
    case "-":
      return value === undefined ? arg() : value;
    case ":+":
      return unsetOrEmpty ? "" : arg();
    case "+":
      return value === undefined ? "" : arg();
    case ":?":
      if (unsetOrEmpty)
        throw new InterpolationError(`required variable ${name} is missing a value: ${arg()}`);
      return value;
    case "?":
      if (value === undefined)
        throw new InterpolationError(`required variable ${name} is missing a value: ${arg()}`);
      return value;
  }
}
