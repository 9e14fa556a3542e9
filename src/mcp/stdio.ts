/**
 * MCP over stdio: one server on this process's stdin/stdout ({@link serveStdio}), or a bridge
 * that forwards every frame to the `/mcp` endpoint of the daemon that already reconciles the
 * directory ({@link proxyStdio}). Nothing but MCP frames is ever written to stdout.
 */
import type { Readable, Writable } from "node:stream";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import {
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
} from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../util/logger.js";
import { createMcpServer, type McpServerDeps } from "./server.js";

/** The process's stdio, or a pair of streams in tests. */
export interface StdioStreams {
  stdin: Readable;
  stdout: Writable;
}

/** Serves MCP on stdio until stdin ends or `signal` aborts. */
export async function serveStdio(deps: McpServerDeps, io: StdioStreams, signal: AbortSignal): Promise<void> {
  const server = createMcpServer(deps);
  const transport = new StdioServerTransport(io.stdin, io.stdout);
  await server.connect(transport);
  await untilClosed(io.stdin, signal);
  await server.close();
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
): Promise<void> {
  const remote = new StreamableHTTPClientTransport(url, {
    ...(token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {}),
  });
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
