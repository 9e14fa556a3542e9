import { readFileSync } from "node:fs";
import { ComposeLoadError, type ComposeLocation } from "./errors.js";
import { interpolate, InterpolationError, type Lookup } from "./interpolate.js";
import { formatKeyPath, parseComposeText, type LocatedFile } from "./located.js";
import { validateCompose } from "./schema.js";

/** A variable a file uses that is not set and has no default: it reads as the empty string. */
export interface UnsetVariable {
  name: string;
  where: ComposeLocation;
}

/** A compose file read, interpolated and validated, with its locations. */
export interface ReadComposeFile {
  file: LocatedFile;
  /** The data after interpolation. */
  data: Record<string, unknown>;
}

/**
 * Reads one compose file (from `texts` when it holds it, else from disk), interpolates every
 * value (keys stay as written), and validates it against the Compose
 * Specification. Throws ComposeLoadError with the file:line:col of the problem. Synchronous.
 */
export function readComposeFile(
  path: string,
  display: string,
  lookup: Lookup,
  unset: UnsetVariable[],
  texts?: ReadonlyMap<string, string>,
): ReadComposeFile {
  let text = texts?.get(path);
  if (text === undefined) {
    try {
      text = readFileSync(path, "utf8");
    } catch (cause) {
      const why =
        (cause as NodeJS.ErrnoException).code === "ENOENT" ? "the file does not exist" : String(cause);
      throw new ComposeLoadError({ file: display, line: 1, column: 1 }, "", why, { cause });
    }
  }
  const file = parseComposeText(text, path, display);
  const data = interpolateTree(file.data, [], file, lookup, unset) as Record<string, unknown>;
  validateCompose(file, data);
  return { file, data };
}

function interpolateTree(
  value: unknown,
  path: (string | number)[],
  file: LocatedFile,
  lookup: Lookup,
  unset: UnsetVariable[],
): unknown {
  if (typeof value === "string") {
    try {
      return interpolate(value, lookup, (name) => unset.push({ name, where: file.locate(path) }));
    } catch (cause) {
      if (!(cause instanceof InterpolationError)) throw cause;
      throw new ComposeLoadError(file.locate(path), formatKeyPath(path), cause.message, {
        cause,
        hint: "set the variable in the environment or in the project's .env file",
      });
    }
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateTree(v, [...path, i], file, lookup, unset));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = interpolateTree(v, [...path, k], file, lookup, unset);
    }
    return out;
  }
  return value;
}
