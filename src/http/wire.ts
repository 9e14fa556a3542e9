/**
 * The JSON shapes of the Berth HTTP API under /api/v1, shared by the server and the CLI client.
 * Types only, plus the path prefix.
 */
import type { ProjectService, WriteResponse } from "../service/service.js";
import type { ProjectView } from "../service/view.js";
import type { WaitResult } from "../service/wait.js";
import type { SpecError } from "../api/index.js";

/** Prefix of the REST API. */
export const API_PREFIX = "/api/v1";

/** Every error response: `{error: {...}}` with a stable code. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    hint?: string;
    /** For code "SpecInvalid": `{errors: SpecError[]}`. */
    details?: { errors?: SpecError[] } & Record<string, unknown>;
  };
}

/** `GET /api/v1/projects`. */
export interface ProjectList {
  items: ProjectView[];
}

/** `GET /api/v1/errors`. */
export interface ErrorList {
  errors: SpecError[];
}

/** `GET /api/v1/info`. */
export type InfoResponse = ReturnType<ProjectService["info"]>;

/** A project `POST /api/v1/projects?atomic=false` did not write, with the error it failed with. */
export interface ApplyFailureBody {
  /** `namespace/name`, when the document names a project. */
  project?: string;
  error: ErrorBody["error"];
}

/**
 * The answer of a write: one result per project written or unchanged. An apply with
 * `?atomic=false` also lists the projects that failed (`failures`, possibly empty); an atomic
 * apply fails as a whole with an error response instead.
 */
export type WriteBody = WriteResponse & { failures?: ApplyFailureBody[] };

/** A write that waited: the write response plus how the wait ended. */
export type WaitedWriteResponse = WriteBody & { wait: WaitResult };

/**
 * One line of the NDJSON stream of a write with `?wait=true`: progress lines, then exactly one
 * `result` line (or an `error` line when the server failed while waiting).
 */
export type WaitLine = { progress: string } | { result: WaitedWriteResponse } | ErrorBody;
