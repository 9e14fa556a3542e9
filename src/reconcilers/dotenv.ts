/**
 * The dotenv format of `envFrom` files, as Docker Compose reads `env_file`: `NAME=value` lines,
 * an optional `export ` prefix, `#` comments, blank lines, single-quoted values taken literally,
 * double-quoted values with `\n`, `\t`, `\"` and `\\` escapes, and unquoted values trimmed, with a
 * ` #` comment cut off. Pure. Error messages name the line and never quote it: an env file holds
 * credentials.
 */
import { BerthError } from "../util/errors.js";

/** A line of an env file that is not `NAME=value`; the message names the line, not its content. */
export class DotenvSyntaxError extends BerthError {
  override readonly name = "DotenvSyntaxError";
  constructor(
    readonly line: number,
    what: string,
  ) {
    super(`line ${line}: ${what}`);
  }
}

const NAME = /^[A-Za-z_.-][A-Za-z0-9_.-]*$/;

/** The variables of an env file in file order (a later line with the same name wins). Throws DotenvSyntaxError. */
export function parseDotenv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = (lines[i] ?? "").trim();
    if (raw === "" || raw.startsWith("#")) continue;
    const body = raw.startsWith("export ") ? raw.slice(7).trimStart() : raw;
    const eq = body.indexOf("=");
    if (eq < 0) {
      // compose takes a bare NAME from its own environment; Berth never passes the operator's on
      throw new DotenvSyntaxError(lineNo, "expected NAME=value (a bare name is not supported)");
    }
    const name = body.slice(0, eq).trim();
    if (!NAME.test(name)) {
      throw new DotenvSyntaxError(
        lineNo,
        "the variable name must be letters, digits, _ . or - and not start with a digit",
      );
    }
    const rest = body.slice(eq + 1).trimStart();
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      const { value, end } = quoted(lines, i, rest, quote);
      out.set(name, value);
      i = end;
    } else {
      const hash = rest.search(/\s#/);
      out.set(name, (hash >= 0 ? rest.slice(0, hash) : rest).trimEnd());
    }
  }
  return out;
}

/** A quoted value starting on line `start`; double-quoted ones may span lines. */
function quoted(
  lines: readonly string[],
  start: number,
  rest: string,
  quote: string,
): { value: string; end: number } {
  let text = rest.slice(1);
  let line = start;
  for (;;) {
    const close = closingQuote(text, quote);
    if (close >= 0) {
      const after = text.slice(close + 1).trim();
      if (after !== "" && !after.startsWith("#")) {
        throw new DotenvSyntaxError(start + 1, "unexpected text after the closing quote");
      }
      const inner = text.slice(0, close);
      return { value: quote === '"' ? unescape(inner) : inner, end: line };
    }
    line++;
    if (line >= lines.length) throw new DotenvSyntaxError(start + 1, `the ${quote} quote is never closed`);
    text += `\n${lines[line] ?? ""}`;
  }
}

function closingQuote(text: string, quote: string): number {
  for (let i = 0; i < text.length; i++) {
    if (quote === '"' && text[i] === "\\") i++;
    else if (text[i] === quote) return i;
  }
  return -1;
}

function unescape(s: string): string {
  return s.replace(/\\([nrt"\\$])/g, (_m, c: string) =>
    c === "n" ? "\n" : c === "r" ? "\r" : c === "t" ? "\t" : c,
  );
}
