import type { ApplyResponse, ProjectService } from "../service/service.js";
import { readBody } from "./body.js";
import { errorResponse, HttpError } from "./errors.js";
import { parseDuration } from "../util/duration.js";
import type { Logger } from "../util/logger.js";
import { parseBool } from "./params.js";
import { sendJson, startNdjson } from "./respond.js";
import type { RequestContext, Router } from "./router.js";
import {
  API_PREFIX,
  type ApplyFailureBody,
  type ErrorList,
  type ProjectList,
  type WaitLine,
  type WriteBody,
} from "./wire.js";
import { BadRequestError, type DesiredState, type WriteOptions } from "../api/index.js";

/** The part of {@link ProjectService} the HTTP API uses; tests pass a fake. */
export type ProjectApi = Pick<
  ProjectService,
  "info" | "list" | "get" | "errors" | "apply" | "delete" | "setState" | "restart" | "waitForWrites"
>;

/** Default and largest `?timeout=` of a waiting write. */
export const DEFAULT_WAIT_MS = 60_000;
export const MAX_WAIT_MS = 3_600_000;

/**
 * Registers the REST API under /api/v1 on `router`. Reads answer from the service's caches;
 * writes return once the spec is persisted, or with `?wait=true` stream NDJSON progress lines
 * until the projects converge, fail or the timeout passes. `POST /projects` applies all or
 * nothing unless `?atomic=false`, which writes each project on its own and lists the failures.
 * `logger` gets the unexpected errors of such failures (the response shows them as Internal).
 */
export function registerApiRoutes(
  router: Router,
  service: ProjectApi,
  maxBodyBytes: number,
  logger: Logger,
): void {
  const P = `${API_PREFIX}/projects`;
  const one = `${P}/:namespace/:name`;
  router
    .on("GET", P, ({ res, url }) => {
      const q = url.searchParams;
      const items = service.list({
        ...optional("namespace", q.get("namespace")),
        ...optional("labelSelector", q.get("labelSelector")),
        ...optional("phase", q.get("phase")),
      });
      sendJson(res, 200, { items } satisfies ProjectList);
    })
    .on("GET", one, ({ res, params }) => sendJson(res, 200, service.get(ns(params), name(params))))
    .on("POST", P, async (ctx) => {
      const params = writeParams(ctx);
      const atomic = parseBool(ctx.url.searchParams.get("atomic") ?? "true");
      if (atomic === undefined) throw badQuery("atomic", "true or false");
      const text = await readBody(ctx.req, maxBodyBytes);
      await respondWrite(ctx, service, params, async (o) =>
        applyBody(await service.apply(text, atomic ? o : { ...o, atomic }), atomic, logger),
      );
    })
    .on("DELETE", one, (ctx) =>
      respondWrite(ctx, service, writeParams(ctx), (o) =>
        service.delete(ns(ctx.params), name(ctx.params), o),
      ),
    )
    .on("PUT", `${one}/state`, async (ctx) => {
      const params = writeParams(ctx);
      const state = parseState(await readBody(ctx.req, maxBodyBytes));
      await respondWrite(ctx, service, params, (o) =>
        service.setState(ns(ctx.params), name(ctx.params), state, o),
      );
    })
    .on("POST", `${one}/restart`, (ctx) =>
      respondWrite(ctx, service, writeParams(ctx), (o) =>
        service.restart(ns(ctx.params), name(ctx.params), o),
      ),
    )
    .on("GET", `${API_PREFIX}/errors`, ({ res }) =>
      sendJson(res, 200, { errors: service.errors() } satisfies ErrorList),
    )
    .on("GET", `${API_PREFIX}/info`, ({ res }) => sendJson(res, 200, service.info()));
}

interface WriteParams {
  write: WriteOptions;
  wait: boolean;
  timeoutMs: number;
}

function writeParams({ url, req }: RequestContext): WriteParams {
  const q = url.searchParams;
  const dryRun = parseBool(q.get("dryRun"));
  const wait = parseBool(q.get("wait"));
  if (dryRun === undefined) throw badQuery("dryRun", "true or false");
  if (wait === undefined) throw badQuery("wait", "true or false");
  const timeoutMs = parseDuration(q.get("timeout") ?? "60s");
  if (timeoutMs === undefined || timeoutMs <= 0 || timeoutMs > MAX_WAIT_MS) {
    throw badQuery("timeout", "a duration such as 60s or 5m, at most 1h");
  }
  const ifMatch = req.headers["if-match"]?.trim();
  const expectedHash =
    ifMatch && ifMatch !== "*" ? ifMatch.replace(/^W\//, "").replace(/^"|"$/g, "") : undefined;
  return { write: { dryRun, ...(expectedHash ? { expectedHash } : {}) }, wait, timeoutMs };
}

/**
 * The wire form of an apply: `{dryRun, results}` as every write answers, plus, when not atomic,
 * `failures` with each error as an error response would carry it.
 */
function applyBody(response: ApplyResponse, atomic: boolean, logger: Logger): WriteBody {
  const body: WriteBody = { dryRun: response.dryRun, results: response.results };
  if (atomic) return body;
  body.failures = response.failures.map((f): ApplyFailureBody => {
    const { status, body: error } = errorResponse(f.error);
    if (status >= 500) logger.error("applying a project failed", { project: f.key, error: f.error });
    return { ...(f.key !== undefined ? { project: f.key } : {}), error: error.error };
  });
  return body;
}

async function respondWrite(
  ctx: RequestContext,
  service: ProjectApi,
  { write: options, wait, timeoutMs }: WriteParams,
  write: (options: WriteOptions) => Promise<WriteBody>,
): Promise<void> {
  const response = await write(options);
  if (!wait || response.dryRun) {
    sendJson(ctx.res, 200, response);
    return;
  }
  const line = startNdjson(ctx.res);
  const send = (value: WaitLine) => line(value);
  for (const r of response.results) send({ progress: `${r.key} ${r.action} in ${r.file}` });
  const result = await service.waitForWrites(response.results, {
    timeoutMs,
    signal: ctx.signal,
    onProgress: (progress) => send({ progress }),
  });
  send({ result: { ...response, wait: result } });
  ctx.res.end();
}

function parseState(text: string): DesiredState {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BadRequestError('the body is not JSON; send {"state": "Running"} or {"state": "Stopped"}');
  }
  const state = (body as { state?: unknown } | null)?.state;
  if (state !== "Running" && state !== "Stopped") {
    throw new BadRequestError(`state must be "Running" or "Stopped", not ${JSON.stringify(state)}`);
  }
  return state;
}

function badQuery(param: string, expected: string): HttpError {
  return new HttpError(400, "BadRequest", `invalid query parameter ${param}: expected ${expected}`);
}

function optional<K extends string>(key: K, value: string | null): Partial<Record<K, string>> {
  return value ? ({ [key]: value } as Record<K, string>) : {};
}

function ns(params: Record<string, string>): string {
  return params["namespace"] ?? "";
}

function name(params: Record<string, string>): string {
  return params["name"] ?? "";
}
