/**
 * Exec over HTTP.
 * - `POST /api/v1/projects/{ns}/{name}/containers/{c}/exec` with `{"command": [...],
 *   "timeoutSeconds"?, "maxOutputBytes"?, "env"?, "workingDir"?, "user"?}`: runs the command
 *   without a TTY and answers `{exitCode, output, truncated, timedOut, outputBytes, durationMs}`
 *   (see execInContainer). A write: it needs the token and passes the cross-site checks.
 * - WebSocket on the same path (`GET` upgrade, `?command=` repeated, `tty=true`, `stdin=true`,
 *   `cols=`, `rows=`): an interactive session, see exec-socket.ts.
 */
import { BadRequestError } from "../api/index.js";
import { execInContainer, type ExecDeps, type ExecRequest, type ExecResult } from "../service/exec.js";
import { readBody } from "./body.js";
import { sendJson } from "./respond.js";
import type { Router } from "./router.js";
import { API_PREFIX } from "./wire.js";

/** The path of a container's exec endpoint (the route pattern). */
export const EXEC_ROUTE = `${API_PREFIX}/projects/:namespace/:name/containers/:container/exec`;

/** Largest exec request body. */
const MAX_EXEC_BODY_BYTES = 256 * 1024;

/** The JSON body of a bounded exec request. */
export interface ExecBody {
  command: string[];
  timeoutSeconds?: number;
  maxOutputBytes?: number;
  env?: string[];
  workingDir?: string;
  user?: string;
}

/** Registers the bounded exec route. `deps` reach Docker and the observer's cache. */
export function registerExecRoutes(router: Router, deps: ExecDeps): void {
  router.on("POST", EXEC_ROUTE, async ({ req, res, params, signal }) => {
    const body = parseExecBody(await readBody(req, MAX_EXEC_BODY_BYTES));
    const request: ExecRequest = {
      namespace: params["namespace"] ?? "",
      name: params["name"] ?? "",
      container: params["container"] ?? "",
      command: body.command,
      timeoutMs: body.timeoutSeconds === undefined ? undefined : body.timeoutSeconds * 1000,
      maxOutputBytes: body.maxOutputBytes,
      env: body.env,
      workingDir: body.workingDir,
      user: body.user,
      signal,
    };
    const result: ExecResult = await execInContainer(deps, request);
    sendJson(res, 200, result);
  });
}

/** Parses and checks an exec body; throws BadRequestError naming the field. Pure. */
export function parseExecBody(text: string): ExecBody {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BadRequestError('the body is not JSON; send {"command": ["sh", "-c", "echo hi"]}');
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BadRequestError('the body must be a JSON object such as {"command": ["ls", "/"]}');
  }
  const b = value as Record<string, unknown>;
  const known = new Set(["command", "timeoutSeconds", "maxOutputBytes", "env", "workingDir", "user"]);
  for (const k of Object.keys(b)) {
    if (!known.has(k))
      throw new BadRequestError(
        `unknown field ${JSON.stringify(k)} in the exec body; known: ${[...known].join(", ")}`,
      );
  }
  const command = stringList(b["command"], "command");
  if (command === undefined || command.length === 0) {
    throw new BadRequestError('command is required: a non-empty list of strings, e.g. ["sh", "-c", "ls /"]');
  }
  const out: ExecBody = { command };
  const timeout = b["timeoutSeconds"];
  if (timeout !== undefined) {
    if (typeof timeout !== "number" || !(timeout > 0))
      throw new BadRequestError(`timeoutSeconds must be a positive number, not ${JSON.stringify(timeout)}`);
    out.timeoutSeconds = timeout;
  }
  const max = b["maxOutputBytes"];
  if (max !== undefined) {
    if (typeof max !== "number" || !Number.isInteger(max) || max < 0)
      throw new BadRequestError(`maxOutputBytes must be a whole number of bytes, not ${JSON.stringify(max)}`);
    out.maxOutputBytes = max;
  }
  const env = stringList(b["env"], "env");
  if (env !== undefined) {
    const bad = env.find((e) => !/^[^=]+=/.test(e));
    if (bad !== undefined)
      throw new BadRequestError(`env entry ${JSON.stringify(bad)} is not of the form NAME=value`);
    out.env = env;
  }
  for (const k of ["workingDir", "user"] as const) {
    const v = b[k];
    if (v === undefined) continue;
    if (typeof v !== "string") throw new BadRequestError(`${k} must be a string, not ${JSON.stringify(v)}`);
    out[k] = v;
  }
  return out;
}

function stringList(v: unknown, field: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    throw new BadRequestError(`${field} must be a list of strings, not ${JSON.stringify(v)}`);
  }
  return v as string[];
}
