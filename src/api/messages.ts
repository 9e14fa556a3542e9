import type { ErrorObject } from "ajv";
import type { SpecErrorCode } from "./errors.js";
import { nearest } from "./paths.js";

/** An ajv error turned into words, with where it points. */
export interface SchemaProblem {
  code: SpecErrorCode;
  /** Segments below the instance path the message is about (a missing or unknown property). */
  extra?: string;
  /** Point at the key of `extra` rather than at the value. */
  atKey: boolean;
  message: string;
}

const PATTERN_HINTS: Record<string, string> = {
  "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$":
    "use lowercase letters, digits and '-', starting and ending with a letter or digit",
  "^[-._a-zA-Z][-._a-zA-Z0-9]*$": "use letters, digits, '-', '.' and '_', not starting with a digit",
  "^/": "use an absolute path starting with '/'",
  "^[0-9]+(\\.[0-9]+)?(k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$":
    "use a memory quantity such as 256Mi, 1Gi, 500M or a number of bytes",
  "^([0-9]+(\\.[0-9]+)?|[0-9]+m)$": "use a CPU quantity such as 500m, 0.5 or 2",
};

/** Describes a value briefly for messages: `"abc"`, `70000`, `a list`, `a mapping`. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string")
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

const TYPE_WORDS: Record<string, string> = {
  integer: "an integer",
  number: "a number",
  string: "a string",
  boolean: "true or false",
  object: "a mapping",
  array: "a list",
};

function typeWords(type: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => TYPE_WORDS[String(t)] ?? String(t)).join(" or ");
}

/** Turns one ajv error into a message that says what is wrong and what is allowed. */
export function explain(error: ErrorObject, value: unknown): SchemaProblem {
  const p = error.params as Record<string, unknown>;
  const shown = describe(value);
  switch (error.keyword) {
    case "additionalProperty":
    case "additionalProperties": {
      const field = String(p["additionalProperty"]);
      const allowed = Object.keys((error.parentSchema?.properties ?? {}) as object);
      const guess = nearest(field, allowed);
      const hint = guess ? `did you mean "${guess}"?` : `allowed fields: ${allowed.join(", ")}`;
      return {
        code: "UnknownField",
        extra: field,
        atKey: true,
        message: `unknown field "${field}"; ${hint}`,
      };
    }
    case "required":
      return {
        code: "Schema",
        extra: String(p["missingProperty"]),
        atKey: false,
        message: `is required`,
      };
    case "type": {
      const quoted = typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value) ? " (remove the quotes)" : "";
      return {
        code: "Schema",
        atKey: false,
        message: `must be ${typeWords(p["type"])}, got ${shown}${quoted}`,
      };
    }
    case "enum": {
      const allowed = (p["allowedValues"] as unknown[]).map(String);
      const guess = typeof value === "string" ? nearest(value, allowed) : undefined;
      const hint = guess ? `; did you mean "${guess}"?` : "";
      return { code: "Schema", atKey: false, message: `${shown} is not one of ${allowed.join(", ")}${hint}` };
    }
    case "maximum":
      return { code: "Schema", atKey: false, message: `${shown} is above the maximum ${String(p["limit"])}` };
    case "minimum":
      return { code: "Schema", atKey: false, message: `${shown} is below the minimum ${String(p["limit"])}` };
    case "maxLength":
      return {
        code: "Schema",
        atKey: false,
        message: `${shown} is longer than ${String(p["limit"])} characters`,
      };
    case "minLength":
      return { code: "Schema", atKey: false, message: `must not be empty` };
    case "maxItems":
      return {
        code: "Schema",
        atKey: false,
        message: `has more than the maximum ${String(p["limit"])} items`,
      };
    case "minItems":
      return { code: "Schema", atKey: false, message: `needs at least ${String(p["limit"])} item(s)` };
    case "pattern": {
      const pattern = String(p["pattern"]);
      const hint = PATTERN_HINTS[pattern] ?? `it must match ${pattern}`;
      return { code: "Schema", atKey: false, message: `${shown} is not valid: ${hint}` };
    }
    case "format":
      return { code: "Schema", atKey: false, message: `${shown} is not a valid ${String(p["format"])}` };
    default:
      return { code: "Schema", atKey: false, message: `${shown} ${error.message ?? "is invalid"}` };
  }
}
