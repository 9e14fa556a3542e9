/**
 * Berth's tools/call handler. An unknown tool, arguments that do not match the input schema, and
 * arguments over 1 MiB are JSON-RPC errors (InvalidParams); a failed operation, and a tool this
 * server's access mode does not offer, are tool results with `isError: true` (errors.ts). A tool
 * that needs the user's confirmation answers with an elicitation: on the 2026-07-28 protocol an
 * `input_required` result that the client answers by calling again, on 2025-era connections the
 * SDK turns it into an `elicitation/create` request.
 *
 * A call of a tool that waits for convergence runs as a task (tasks.ts) when the client takes
 * tasks: it is answered as usual until the tool starts its wait (the desired state is saved by
 * then), and with a task handle from there on, while the wait goes on in the daemon.
 */
import {
  acceptedContent,
  inputRequired,
  inputResponse,
  ProtocolError,
  ProtocolErrorCode,
  type CallToolResult,
  type InputRequiredResult,
  type McpServer,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import { refusal, type McpAccess } from "./access.js";
import { errorResult } from "./errors.js";
import type { McpBackend } from "./backend.js";
import type { McpMetrics } from "./metrics.js";
import type { Logger } from "../util/logger.js";
import type { AnyTool, ToolContext } from "./tool.js";
import { outcomeOf, runAsTask, type TaskLink } from "./task-call.js";
import type { TaskStore } from "./task-store.js";
import { taskAsked, type TaskScope } from "./tasks.js";

/** Largest accepted tool arguments, as JSON. */
export const MAX_INPUT_BYTES = 1024 * 1024;

/** What every server of a process shares: the backend, metrics, logger and access mode. */
export interface McpServerDeps {
  backend: McpBackend;
  metrics: McpMetrics;
  logger: Logger;
  version: string;
  /** Read-only mode and toolsets; default every tool. */
  access?: McpAccess;
  /** The daemon's task store; without one, no call runs as a task. */
  tasks?: TaskStore;
  /** Who calls, as an opaque key (a digest of the credential); tasks are visible to it alone. */
  caller?: string;
}

/** What the handler needs of the server it answers for. */
export interface CallScope {
  deps: McpServerDeps;
  access: McpAccess;
  /** Every tool by name, offered or not. */
  tools: ReadonlyMap<string, AnyTool>;
  server: McpServer;
  /** Tasks of this server's caller and era; absent without a store. */
  tasks?: TaskScope;
}

const confirmSchema = z.object({ confirm: z.boolean().describe("true to go ahead") });

/** Answers one tools/call. */
export async function handleToolCall(
  scope: CallScope,
  params: { name: string; arguments?: Record<string, unknown> | undefined; task?: unknown },
  ctx: ServerContext,
): Promise<CallToolResult | InputRequiredResult> {
  const { deps, tools } = scope;
  const started = performance.now();
  const tool = tools.get(params.name);
  const label = tool ? tool.name : "unknown";
  const done = (result: "ok" | "error" | "protocol_error") =>
    deps.metrics.observe(label, result, (performance.now() - started) / 1000);
  if (!tool) {
    done("protocol_error");
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `unknown tool ${JSON.stringify(params.name)}; the tools are ${[...tools.keys()].join(", ")}`,
    );
  }
  const refused = refusal(tool, scope.access);
  if (refused !== undefined) {
    done("error");
    return refusedResult(refused);
  }
  const args = params.arguments ?? {};
  const size = Buffer.byteLength(JSON.stringify(args));
  if (size > MAX_INPUT_BYTES) {
    done("protocol_error");
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `the arguments of ${tool.name} are ${size} bytes, over the limit of ${MAX_INPUT_BYTES} (1 MiB); split the documents into several calls`,
    );
  }
  const parsed = tool.input.safeParse(args);
  if (!parsed.success) {
    done("protocol_error");
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `invalid arguments for ${tool.name}: ${issues(parsed.error)}`,
    );
  }
  const asked = scope.tasks ? taskAsked(scope.tasks.era, params, ctx) : undefined;
  if (asked && scope.tasks?.era === "legacy" && tool.waits !== true) {
    done("protocol_error");
    throw new ProtocolError(
      ProtocolErrorCode.MethodNotFound,
      `${tool.name} does not run as a task (its execution.taskSupport is forbidden); call it without task`,
    );
  }
  if (asked && scope.tasks && tool.waits === true) {
    const args = parsed.data;
    return runAsTask(scope.tasks, ctx, asked.ttlMs, done, (link) =>
      execute(scope, tool, args, context(scope, ctx, link)),
    );
  }
  const result = await execute(scope, tool, parsed.data, context(scope, ctx));
  done(outcomeOf(result));
  return result;
}

/** Runs a tool: its output as a result (or an elicitation), a failure as an `isError` result. */
async function execute(
  scope: CallScope,
  tool: AnyTool,
  args: unknown,
  { tool: toolCtx, flushed }: { tool: ToolContext; flushed: () => Promise<void> },
): Promise<CallToolResult | InputRequiredResult> {
  try {
    const out = await tool.run(args, toolCtx);
    await flushed(); // every progress notification goes out before the result
    if (out.ask) {
      return inputRequired({
        inputRequests: {
          [out.ask.key]: inputRequired.elicit({ message: out.ask.message, requestedSchema: confirmSchema }),
        },
      });
    }
    return scope.server.server.projectCallToolResult(
      {
        content: [{ type: "text", text: out.text }],
        structuredContent: out.structured as Record<string, unknown>,
        ...(out.isError ? { isError: true } : {}),
      },
      undefined,
    );
  } catch (err) {
    return errorResult(err, scope.deps.backend.service, scope.deps.logger);
  }
}

function refusedResult(message: string): CallToolResult {
  const hint =
    "use the read tools (list_projects, get_project, diagnose_project, get_logs), or ask the user to run Berth's MCP server without this restriction";
  return {
    content: [
      { type: "text", text: `${message}\nHow to fix: ${hint}` },
      { type: "text", text: JSON.stringify({ error: { code: "Forbidden", message, hint } }) },
    ],
    isError: true,
  };
}

function context(
  scope: CallScope,
  ctx: ServerContext,
  task?: TaskLink,
): { tool: ToolContext; flushed: () => Promise<void> } {
  const token = ctx.mcpReq._meta?.progressToken;
  const signal = task?.signal ?? ctx.mcpReq.signal;
  const responses = ctx.mcpReq.inputResponses;
  let progress = 0;
  let sent: Promise<void> = Promise.resolve();
  const tool: ToolContext = {
    backend: scope.deps.backend,
    signal,
    canElicit: scope.server.server.getClientCapabilities()?.elicitation !== undefined,
    answer(key) {
      const view = inputResponse(responses, key);
      if (view.kind !== "elicit") return undefined;
      return acceptedContent(responses, key, confirmSchema)?.confirm === true ? "accepted" : "declined";
    },
    progress(message) {
      if (task?.progress(message)) return;
      if (token === undefined || signal.aborted) return;
      progress++;
      const params = { progressToken: token, progress, message };
      sent = sent
        .then(() => ctx.mcpReq.notify({ method: "notifications/progress", params }))
        .catch(() => undefined);
    },
    ...(task ? { waiting: () => task.waiting() } : {}),
  };
  return { tool, flushed: () => sent };
}

function issues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length > 0 ? i.path.join(".") : "arguments"}: ${i.message}`)
    .join("; ");
}
