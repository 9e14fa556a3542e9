/** The observing tools: get_logs, get_metrics, wait_for_project. */
import { z } from "zod";
import { compileGrep, GrepSyntaxError, type LogQuery } from "../../streams/query.js";
import { timestampOfQuery } from "../../streams/log-line.js";
import { afterCursor, decodeCursor, renderLogPage } from "../log-page.js";
import { defineTool, type ToolContext } from "../tool.js";
import { DEFAULT_WAIT_SECONDS, projectRef, resolveRef } from "./common.js";
import { waitForResults, waitSchema, waitText } from "./converge.js";
import { BadRequestError, ProjectNotFoundError } from "../../api/index.js";
import { sleep } from "../../util/abort.js";

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

/** Most characters of log text one get_logs answer carries. */
export const MAX_LOG_CHARS = 20_000;
const MAX_TAIL = 10_000;

function checkProject(ctx: ToolContext, namespace: string, name: string): void {
  ctx.backend.service.get(namespace, name); // throws ProjectNotFoundError
}

function parseSince(text: string, now: number): string {
  const ts = timestampOfQuery(text, now);
  if (ts !== undefined) return ts;
  throw new BadRequestError(
    `since ${JSON.stringify(text)} is neither a duration nor a time`,
    'use a duration back from now ("30s", "5m", "2h") or an RFC 3339 time',
  );
}

const logLineSchema = z.object({
  ts: z.string(),
  container: z.string(),
  stream: z.enum(["stdout", "stderr"]),
  line: z.string(),
});

export const getLogs = defineTool({
  name: "get_logs",
  title: "Read container logs",
  description:
    "Read a project's container output, oldest first, from Berth's in-memory buffers (every container, or one). " +
    `Filter with tail (default 100), since ("5m" or an RFC 3339 time), grep (a JavaScript regular expression) and ` +
    `stream (stdout/stderr). An answer holds at most ${MAX_LOG_CHARS} characters: when more match it is truncated ` +
    "and says so. Pass nextCursor back as cursor to continue after the last line returned (the rest of a " +
    "truncated answer, or new lines later).",
  input: z.object({
    ...projectRef,
    container: z.string().optional().describe("Only this container (its name in the spec)"),
    tail: z.number().int().min(1).max(MAX_TAIL).optional().describe("At most this many lines (default 100)"),
    since: z
      .string()
      .optional()
      .describe('Only lines from this long ago ("30s", "5m") or after this RFC 3339 time'),
    grep: z.string().max(1024).optional().describe("Only lines matching this regular expression"),
    stream: z.enum(["stdout", "stderr"]).optional(),
    cursor: z
      .string()
      .max(512)
      .optional()
      .describe("nextCursor of an earlier answer: continue after its last line"),
  }),
  output: z.object({
    lines: z.array(logLineSchema),
    truncated: z.boolean().describe("True when more lines matched than fit into one answer"),
    nextCursor: z.string().optional(),
    hint: z.string().optional(),
  }),
  toolset: "read",
  annotations: READ,
  run(args, ctx) {
    const ref = resolveRef(args);
    checkProject(ctx, ref.namespace, ref.name);
    const cursor = args.cursor !== undefined ? decodeCursor(args.cursor) : undefined;
    const q: LogQuery = {};
    if (args.container) q.container = args.container;
    if (args.stream) q.stream = args.stream;
    if (args.since) q.since = parseSince(args.since, Date.now());
    if (cursor && (q.since === undefined || cursor.ts > q.since)) q.since = cursor.ts;
    if (args.grep) {
      try {
        q.grep = compileGrep(args.grep);
      } catch (err) {
        if (!(err instanceof GrepSyntaxError)) throw err;
        throw new BadRequestError(
          `grep: ${err.message}`,
          "grep takes a JavaScript regular expression; escape ( [ * + ? with \\",
        );
      }
    }
    const tail = args.tail ?? 100;
    let lines = ctx.backend.logs(ref.key, cursor ? q : { ...q, tail });
    if (cursor) lines = afterCursor(lines, cursor).slice(0, tail);
    const page = renderLogPage(lines, MAX_LOG_CHARS, cursor);
    const hint = page.truncated
      ? `only ${page.lines.length} of ${lines.length} lines fit; narrow the query (grep, since, container, stream, a smaller tail) or call again with cursor=nextCursor for the rest`
      : undefined;
    const text = [
      page.lines.length === 0 ? "No matching log lines." : page.text,
      ...(hint ? [`[truncated: ${hint}]`] : []),
      ...(page.nextCursor ? [`nextCursor: ${page.nextCursor}`] : []),
    ].join("\n");
    return {
      text,
      structured: {
        lines: page.lines.map((l) => ({ ts: l.ts, container: l.container, stream: l.stream, line: l.line })),
        truncated: page.truncated,
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
        ...(hint ? { hint } : {}),
      },
    };
  },
});

const statsSchema = z.object({ avg: z.number(), max: z.number() });

export const getMetrics = defineTool({
  name: "get_metrics",
  title: "Read container resource metrics",
  description:
    "A project's container resource use: per container the latest sample (CPU cores, memory working set, " +
    "network and block I/O totals) and a summary over the last windowSeconds (default 60): average and maximum " +
    "CPU cores and memory, network bytes per second. Samples exist while spec.metrics.enabled is true.",
  input: z.object({
    ...projectRef,
    container: z.string().optional().describe("Only this container"),
    windowSeconds: z.number().int().min(1).max(3600).optional().describe("Summary window; default 60"),
  }),
  output: z.object({
    containers: z.array(
      z.object({
        container: z.string(),
        latest: z
          .object({
            time: z.string(),
            cpuCores: z.number(),
            memoryWorkingSetBytes: z.number(),
            memoryUsageBytes: z.number(),
            networkReceiveBytes: z.number(),
            networkTransmitBytes: z.number(),
            fsReadBytes: z.number(),
            fsWriteBytes: z.number(),
          })
          .optional(),
        window: z.object({
          seconds: z.number(),
          samples: z.number().int(),
          cpuCores: statsSchema,
          memoryWorkingSetBytes: statsSchema,
          networkReceiveBytesPerSecond: z.number(),
          networkTransmitBytesPerSecond: z.number(),
        }),
      }),
    ),
  }),
  toolset: "read",
  annotations: READ,
  run(args, ctx) {
    const ref = resolveRef(args);
    checkProject(ctx, ref.namespace, ref.name);
    const windowSeconds = args.windowSeconds ?? 60;
    const from = Date.now() - windowSeconds * 1000;
    const series = ctx.backend
      .metrics(ref.key)
      .filter((s) => args.container === undefined || s.container === args.container);
    const containers = series.map((s) => {
      const last = s.points.at(-1);
      const window = s.points.filter((p) => p.time >= from);
      const first = window[0];
      const span = first && last && last.time > first.time ? (last.time - first.time) / 1000 : 0;
      const rate = (f: (p: NonNullable<typeof last>) => number) =>
        span > 0 && first && last ? Math.max(0, (f(last) - f(first)) / span) : 0;
      return {
        container: s.container,
        ...(last
          ? {
              latest: {
                time: new Date(last.time).toISOString(),
                cpuCores: round(last.cpuCores),
                memoryWorkingSetBytes: last.memoryWorkingSetBytes,
                memoryUsageBytes: last.memoryUsageBytes,
                networkReceiveBytes: last.networkReceiveBytes,
                networkTransmitBytes: last.networkTransmitBytes,
                fsReadBytes: last.fsReadBytes,
                fsWriteBytes: last.fsWriteBytes,
              },
            }
          : {}),
        window: {
          seconds: windowSeconds,
          samples: window.length,
          cpuCores: stats(window.map((p) => p.cpuCores)),
          memoryWorkingSetBytes: stats(window.map((p) => p.memoryWorkingSetBytes)),
          networkReceiveBytesPerSecond: round(rate((p) => p.networkReceiveBytes)),
          networkTransmitBytesPerSecond: round(rate((p) => p.networkTransmitBytes)),
        },
      };
    });
    const text =
      containers.length === 0
        ? "No samples yet: containers are sampled while they run and spec.metrics.enabled is true (the default)."
        : containers
            .map((c) => {
              const l = c.latest;
              const now = l ? `now ${l.cpuCores} cores, ${mib(l.memoryWorkingSetBytes)} memory` : "no sample";
              const w = c.window;
              return `${c.container}: ${now}; last ${w.seconds}s (${w.samples} samples): cpu avg ${w.cpuCores.avg} max ${w.cpuCores.max} cores, memory avg ${mib(w.memoryWorkingSetBytes.avg)} max ${mib(w.memoryWorkingSetBytes.max)}, network in ${w.networkReceiveBytesPerSecond} B/s out ${w.networkTransmitBytesPerSecond} B/s`;
            })
            .join("\n");
    return { text, structured: { containers } };
  },
});

function stats(values: number[]): { avg: number; max: number } {
  if (values.length === 0) return { avg: 0, max: 0 };
  return { avg: round(values.reduce((a, b) => a + b, 0) / values.length), max: round(Math.max(...values)) };
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

export const waitForProject = defineTool({
  name: "wait_for_project",
  title: "Wait until a project is ready",
  description:
    "Wait until a project has converged to its current spec: Running with every container ready (Stopped if " +
    `so desired), Failed, or the timeout (default ${DEFAULT_WAIT_SECONDS}s). Notifies progress on each status change; ` +
    "cancelling the call ends the wait. Returns the phase and the ports with their URLs.",
  input: z.object({
    ...projectRef,
    timeoutSeconds: z.number().int().min(1).max(600).optional().describe(`Default ${DEFAULT_WAIT_SECONDS}`),
  }),
  output: waitSchema,
  toolset: "read",
  annotations: READ,
  waits: true,
  async run(args, ctx) {
    const ref = resolveRef(args);
    const timeoutMs = (args.timeoutSeconds ?? DEFAULT_WAIT_SECONDS) * 1000;
    const view = await appeared(ctx, ref.namespace, ref.name, Math.min(timeoutMs, APPEAR_MS));
    const wait = await waitForResults(
      ctx,
      [
        {
          key: ref.key,
          namespace: ref.namespace,
          name: ref.name,
          file: view.file,
          action: "updated",
          dryRun: false,
        },
      ],
      args.timeoutSeconds,
    );
    if (wait.projects[0]?.phase === "Deleted") throw new ProjectNotFoundError(ref.key);
    return { text: waitText(wait), structured: wait, isError: wait.outcome !== "converged" };
  },
});

/** How long wait_for_project gives a just-written spec to reach the desired state. */
const APPEAR_MS = 3000;

/**
 * The project, waiting up to `ms` for it to appear: right after a write the daemon may not have
 * read the new file yet. Throws ProjectNotFoundError when it does not appear.
 */
async function appeared(ctx: ToolContext, namespace: string, name: string, ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return ctx.backend.service.get(namespace, name);
    } catch (err) {
      if (!(err instanceof ProjectNotFoundError) || Date.now() >= deadline || ctx.signal.aborted) throw err;
    }
    await sleep(50, ctx.signal);
  }
}
