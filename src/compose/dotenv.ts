import { interpolate, type Lookup } from "./interpolate.js";

/** A line of a dotenv file that is not `KEY=VALUE`; `line` is 1-based. */
export class DotenvError extends Error {
  override name = "DotenvError";
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Parses a dotenv text as Docker Compose reads `.env` and `env_file`: `KEY=VALUE`, an optional
 * `export `, comments, single quotes (literal), double quotes (escapes, interpolation), unquoted
 * values with ` #` comments (interpolated). A bare `KEY` takes its value from `lookup`, or is
 * left out. Earlier keys of the file are visible to later values. Pure; throws DotenvError.
 */
export function parseDotenv(text: string, lookup: Lookup = () => undefined): Map<string, string> {
  const out = new Map<string, string>();
  const scope: Lookup = (n) => out.get(n) ?? lookup(n);
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? "").replace(/^\s+/, "");
    if (raw === "" || raw.startsWith("#")) continue;
    const body = raw.startsWith("export ") ? raw.slice(7).trimStart() : raw;
    const eq = body.search(/[=:]/);
    const key = (eq < 0 ? body : body.slice(0, eq)).trim();
    if (!KEY.test(key)) throw new DotenvError(i + 1, `"${key}" is not a valid variable name`);
    if (eq < 0) {
      const v = lookup(key);
      if (v !== undefined) out.set(key, v);
      continue;
    }
    let value = body.slice(eq + 1).replace(/^[ \t]+/, "");
    const quote = value[0];
    if (quote === "'" || quote === '"') {
      // a quoted value may run over several lines
      let end = closingQuote(value, quote);
      while (end < 0 && i + 1 < lines.length) {
        value += "\n" + (lines[++i] ?? "");
        end = closingQuote(value, quote);
      }
      if (end < 0) throw new DotenvError(i + 1, `unterminated quoted value of ${key}`);
      const inner = value.slice(1, end);
      out.set(key, quote === "'" ? inner : interpolate(unescape(inner), scope));
      continue;
    }
    const comment = value.search(/\s#/);
    if (comment >= 0) value = value.slice(0, comment);
    out.set(key, interpolate(value.trim(), scope));
  }
  return out;
}

function closingQuote(value: string, quote: string): number {
  for (let i = 1; i < value.length; i++) {
    if (value[i] === "\\" && quote === '"') i++;
    else if (value[i] === quote) return i;
  }
  return -1;
}

function unescape(s: string): string {
  return s.replace(/\\([\\nrt"$])/g, (_, c: string) =>
    c === "n" ? "\n" : c === "r" ? "\r" : c === "t" ? "\t" : c === "$" ? "$$" : c,
  );
}
