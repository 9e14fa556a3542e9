/** What kind of problem a SpecError reports; stable strings for `-o json` consumers. */
export type SpecErrorCode =
  | "TooLarge"
  | "Syntax"
  | "AliasLimit"
  | "NotAMapping"
  | "NotAProject"
  | "UnsupportedVersion"
  | "Schema"
  | "UnknownField"
  | "Rule"
  | "Duplicate"
  | "Unreadable"
  | "NotRegularFile";

/** One problem in a spec, located by file, line and column (1-based) and field path. */
export interface SpecError {
  code: SpecErrorCode;
  file: string;
  line: number;
  column: number;
  /** Field path such as `spec.containers[0].ports[0].containerPort`; empty for the whole document. */
  path: string;
  message: string;
  /** The project the error belongs to, when the document names one. */
  project?: { namespace: string; name: string };
}

/** `file:line:col path: message`, the form editors and terminals turn into links. */
export function formatSpecError(e: SpecError): string {
  const where = `${e.file}:${e.line}:${e.column}`;
  return e.path ? `${where} ${e.path}: ${e.message}` : `${where} ${e.message}`;
}

/** Thrown by callers that need a valid spec and got errors instead; carries them all. */
export class SpecInvalidError extends Error {
  override readonly name = "SpecInvalidError";
  constructor(readonly errors: readonly SpecError[]) {
    super(errors.map(formatSpecError).join("\n"));
  }
}
