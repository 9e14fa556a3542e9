/**
 * MCP over stdio: one server on this process's stdin/stdout ({@link serveStdio}), or a bridge
 * that forwards every frame to the `/mcp` endpoint of the daemon that already reconciles the
 * directory ({@link proxyStdio}), narrowed to this command's access mode by the headers of
 * access.ts. Nothing but MCP frames is ever written to stdout.
 */
import type { Readable, Writable } from "node:stream";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { isJSONRPCRequest, isJSONRPCResultResponse, type JSONRPCMessage } from "@modelcontextprotocol/server";
import { serveStdio as serveStdioEntry, StdioServerTransport } from "@modelcontextprotocol/server/stdio";
import type { Logger } from "../util/logger.js";
import { accessHeaders, FULL_ACCESS, type McpAccess } from "./access.js";
import { createMcpServer, type McpServerDeps } from "./server.js";
import { TaskStore } from "./task-store.js";

/** The process's stdio, or a pair of streams in tests. */
export interface StdioStreams {
  stdin: Readable;
  stdout: Writable;
}

/**
 * Serves MCP on stdio until stdin ends or `signal` aborts: the 2026-07-28 protocol (each request
 * with its own `_meta` envelope), or a 2025-era connection opened with `initialize`.
 */
export async function serveStdio(deps: McpServerDeps, io: StdioStreams, signal: AbortSignal): Promise<void> {
  // one caller on a process's stdio: the tasks it makes live as long as the process
  const tasks = deps.tasks ?? new TaskStore();
  const served = { ...deps, tasks, caller: deps.caller ?? "stdio" };
  const handle = serveStdioEntry((ctx) => createMcpServer(served, ctx.era), {
    transport: new StdioServerTransport(io.stdin, io.stdout),
    onerror: (err) => deps.logger.debug("mcp stdio error", { err: err.message }),
  });
  await untilClosed(io.stdin, signal);
  await handle.close();
  if (!deps.tasks) tasks.close();
}

/**
 * Forwards MCP frames between stdio and the Streamable HTTP endpoint at `url` until stdin ends,
 * the endpoint goes away, or `signal` aborts. A request the endpoint cannot take is answered
 * with a JSON-RPC error that names the endpoint.
 */
export async function proxyStdio(
  url: URL,
  token: string | undefined,
  io: StdioStreams,
  logger: Logger,
  signal: AbortSignal,
  access: McpAccess = FULL_ACCESS,
): Promise<void> {
  const headers = { ...accessHeaders(access), ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const remote = new StreamableHTTPClientTransport(url, { requestInit: { headers } });
  const local = new StdioServerTransport(io.stdin, io.stdout);
  const stop = new AbortController();
  let initializeId: string | number | undefined;
  local.onmessage = (message: JSONRPCMessage) => {
    if (isJSONRPCRequest(message) && message.method === "initialize") initializeId = message.id;
    remote.send(message).catch((err: unknown) => {
      logger.warn("mcp proxy: the daemon did not take a message", { url: url.href, err });
      if (isJSONRPCRequest(message)) {
        void local.send({
          jsonrpc: "2.0",
          id: message.id,
          error: {
            code: -32603,
            message: `the berth daemon at ${url.href} failed: ${(err as Error).message}`,
          },
        });
      }
    });
  };
  remote.onmessage = (message: JSONRPCMessage) => {
    if (isJSONRPCResultResponse(message) && message.id === initializeId) {
      const version = (message.result as { protocolVersion?: unknown }).protocolVersion;
      if (typeof version === "string") remote.setProtocolVersion(version);
    }
    void local.send(message);
  };
  remote.onerror = (err) => logger.debug("mcp proxy: stream error", { err });
  remote.onclose = () => stop.abort();
  await remote.start();
  await local.start();
  await untilClosed(io.stdin, AbortSignal.any([signal, stop.signal]));
  await remote.terminateSession().catch(() => undefined);
  await remote.close().catch(() => undefined);
  await local.close();
}

function untilClosed(stdin: Readable, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || stdin.readableEnded || stdin.destroyed) return resolve();
    const done = () => {
      stdin.off("end", done);
      stdin.off("close", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    stdin.once("end", done);
    stdin.once("close", done);
    signal.addEventListener("abort", done, { once: true });
  });
}
