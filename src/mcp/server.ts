/**
 * The Berth MCP server: one McpServer with the tools of tools/, for one client connection. The
 * tools/call handler is Berth's own so that the two error channels stay apart: an unknown tool,
 * arguments that do not match the input schema, and arguments over 1 MiB are JSON-RPC errors
 * (InvalidParams); a failed operation is a tool result with `isError: true` (errors.ts).
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { CallToolRequestSchema, ErrorCode, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import type { Logger } from "../util/logger.js";
import type { McpBackend } from "./backend.js";
import { errorResult } from "./errors.js";
import type { McpMetrics } from "./metrics.js";
import type { AnyTool, ToolContext } from "./tool.js";
import { TOOLS } from "./tools/index.js";

/** Largest accepted tool arguments, as JSON. */
export const MAX_INPUT_BYTES = 1024 * 1024;

/**
 * A JSON-RPC error for a malformed call. Its message goes over the wire as it is (McpError would
 * prefix it, and the client's McpError prefixes it again).
 */
class ProtocolError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** What every server of a process shares: the backend, metrics and logger. */
export interface McpServerDeps {
  backend: McpBackend;
  metrics: McpMetrics;
  logger: Logger;
  version: string;
}

const INSTRUCTIONS =
  "Berth runs projects (containers with published host ports) on this host from declarative Project specs. " +
  "Tools edit the desired state; Berth's reconciler then creates, replaces or removes containers. A write returns " +
  "once the spec is saved: use wait_for_project (or wait: true) to wait until it is Ready, get_project for status " +
  "and ports, get_logs for output. Pass the resourceVersion you read to writes to detect concurrent changes.";

/** A new MCP server with every Berth tool; connect it to exactly one transport. */
export function createMcpServer(deps: McpServerDeps): McpServer {
  const server = new McpServer(
    { name: "berth", title: "Berth", version: deps.version },
    { capabilities: { tools: {} }, instructions: INSTRUCTIONS },
  );
  const tools = new Map<string, AnyTool>();
  for (const listed of TOOLS) {
    // unknown argument names are malformed calls, and the listed schemas say so
    const tool = { ...listed, input: listed.input.strict() };
    tools.set(tool.name, tool);
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        outputSchema: tool.output,
        annotations: { title: tool.title, ...tool.annotations },
      },
      () => {
        throw new Error("tools/call is answered by Berth's own handler");
      },
    );
  }
  server.server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
    callTool(deps, tools, request.params, extra),
  );
  return server;
}

type Extra = Parameters<Parameters<McpServer["server"]["setRequestHandler"]>[1]>[1];

async function callTool(
  deps: McpServerDeps,
  tools: ReadonlyMap<string, AnyTool>,
  params: { name: string; arguments?: Record<string, unknown> | undefined },
  extra: Extra,
): Promise<CallToolResult> {
  const started = performance.now();
  const tool = tools.get(params.name);
  const label = tool ? tool.name : "unknown";
  const done = (result: "ok" | "error" | "protocol_error") =>
    deps.metrics.observe(label, result, (performance.now() - started) / 1000);
  if (!tool) {
    done("protocol_error");
    throw new ProtocolError(
      ErrorCode.InvalidParams,
      `unknown tool ${JSON.stringify(params.name)}; the tools are ${[...tools.keys()].join(", ")}`,
    );
  }
  const args = params.arguments ?? {};
  const size = Buffer.byteLength(JSON.stringify(args));
  if (size > MAX_INPUT_BYTES) {
    done("protocol_error");
    throw new ProtocolError(
      ErrorCode.InvalidParams,
      `the arguments of ${tool.name} are ${size} bytes, over the limit of ${MAX_INPUT_BYTES} (1 MiB); split the documents into several calls`,
    );
  }
  const parsed = tool.input.safeParse(args);
  if (!parsed.success) {
    done("protocol_error");
    throw new ProtocolError(
      ErrorCode.InvalidParams,
      `invalid arguments for ${tool.name}: ${issues(parsed.error)}`,
    );
  }
  const ctx = context(deps.backend, extra);
  let result: CallToolResult;
  try {
    const out = await tool.run(parsed.data, ctx);
    result = {
      content: [{ type: "text", text: out.text }],
      structuredContent: out.structured as Record<string, unknown>,
      ...(out.isError ? { isError: true } : {}),
    };
  } catch (err) {
    result = errorResult(err, deps.backend.service, deps.logger);
  }
  done(result.isError ? "error" : "ok");
  return result;
}

function context(backend: McpBackend, extra: Extra): ToolContext {
  const token = extra._meta?.progressToken;
  let progress = 0;
  return {
    backend,
    signal: extra.signal,
    progress(message) {
      if (token === undefined || extra.signal.aborted) return;
      progress++;
      extra
        .sendNotification({
          method: "notifications/progress",
          params: { progressToken: token, progress, message },
        })
        .catch(() => undefined);
    },
  };
}

function issues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length > 0 ? i.path.join(".") : "arguments"}: ${i.message}`)
    .join("; ");
}
