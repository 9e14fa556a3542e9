/**
 * Tool failures as MCP tool results (`isError: true`): what failed and how to fix it, in text for
 * the model, and the same as JSON (`{"error": {...}}`) in a second text block for programs.
 * Protocol errors (unknown tool, malformed arguments) are not made here; see server.ts.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { ProjectService } from "../service/service.js";
import type { Logger } from "../util/logger.js";
import { closestKeys } from "./suggest.js";
import {
  ConflictError,
  formatSpecError,
  ProjectNotFoundError,
  ServiceError,
  SpecInvalidError,
  keyOf,
} from "../api/index.js";

/** A failure a tool reports itself (a wait that timed out, a project that failed). */
export class ToolError extends Error {
  override readonly name = "ToolError";
  constructor(
    readonly code: string,
    message: string,
    readonly hint: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The error details a failed call carries, besides its text. */
export interface ToolFailure {
  code: string;
  message: string;
  hint?: string;
  [field: string]: unknown;
}

/** Turns an error thrown by a tool into a tool result; unexpected errors are logged. */
export function errorResult(err: unknown, service: ProjectService, logger: Logger): CallToolResult {
  const failure = describeFailure(err, service, logger);
  const text = failure.hint ? `${failure.message}\nHow to fix: ${failure.hint}` : failure.message;
  return {
    content: [
      { type: "text", text },
      { type: "text", text: JSON.stringify({ error: failure }) },
    ],
    isError: true,
  };
}

/** The text of a failure with its fix, for reports that list several. */
export function describeFailureText(err: unknown, service: ProjectService, logger?: Logger): string {
  const f = describeFailure(err, service, logger);
  return f.hint ? `${f.message} (${f.hint})` : f.message;
}

/** What failed and how to fix it, for an error thrown by a tool. */
export function describeFailure(err: unknown, service: ProjectService, logger?: Logger): ToolFailure {
  if (err instanceof ToolError) {
    return { code: err.code, message: err.message, hint: err.hint, ...err.details };
  }
  if (err instanceof ProjectNotFoundError) return notFound(err.key, service);
  if (err instanceof SpecInvalidError) {
    return {
      code: "SpecInvalid",
      message: `the spec is invalid; nothing was written:\n${err.errors.map((e) => `  ${formatSpecError(e)}`).join("\n")}`,
      hint: "fix the fields named above (file:line:column field.path) and call again; validate_project checks a spec without writing it",
      errors: err.errors.map((e) => ({
        file: e.file,
        line: e.line,
        column: e.column,
        path: e.path,
        message: e.message,
      })),
    };
  }
  if (err instanceof ConflictError) {
    const current = currentVersion(err.key, service);
    return {
      code: "Conflict",
      message:
        `project ${err.key} was changed by someone else since you read it` +
        (current ? `; its resourceVersion is now ${current}` : "") +
        "; nothing was written",
      hint: "read it again with get_project, redo your change against the current spec and pass the new resourceVersion",
      ...(current ? { currentResourceVersion: current } : {}),
    };
  }
  if (err instanceof ServiceError) {
    return { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  }
  logger?.error("mcp tool failed", { err });
  return {
    code: "Internal",
    message: `internal error: ${(err as Error)?.message ?? String(err)}`,
    hint: "retry; if it keeps failing, look at the berth daemon's log",
  };
}

/** The failure of a call naming a project that does not exist, with the closest names. */
export function notFound(key: string, service: ProjectService): ToolFailure {
  const keys = service.list().map((v) => keyOf(v.namespace, v.name));
  const close = closestKeys(key, keys);
  const suggestion = close.length > 0 ? `; did you mean ${close.join(", ")}?` : "";
  return {
    code: "NotFound",
    message: `project ${key} not found${suggestion}`,
    hint: "list_projects shows every project; apply_project creates one",
    suggestions: close,
  };
}

function currentVersion(key: string, service: ProjectService): string | undefined {
  const at = key.indexOf("/");
  try {
    return service.get(key.slice(0, at), key.slice(at + 1)).hash;
  } catch {
    return undefined;
  }
}
