/**
 * Streamable HTTP at `/mcp` on the daemon's HTTP server. Stateful sessions: an initialize request
 * creates one McpServer and one transport for that client alone, found again by the
 * `Mcp-Session-Id` header; nothing is shared between clients. Sessions end on DELETE, when the
 * daemon stops, after `idleMs` without a request, or (the least recently used idle one) when
 * `maxSessions` are open. Sessions, not a server per request, because cancellation and progress
 * of a long call (wait_for_project) need the request and its notifications in one server.
 * Host and Origin are checked first (origin.ts); the bearer token is the HTTP server's.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { readBody } from "../http/body.js";
import { HttpError } from "../http/errors.js";
import type { RequestContext, Router } from "../http/router.js";
import { checkOrigin, type HostPolicy } from "./origin.js";
import { createMcpServer, type McpServerDeps } from "./server.js";

/** The path the endpoint serves. */
export const MCP_PATH = "/mcp";

/** Largest request body; tool arguments are limited to 1 MiB separately (server.ts). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Options of {@link McpHttpEndpoint}. */
export interface McpHttpOptions {
  /** The names the HTTP server answers to (its RequestGuard), for the Host/Origin checks. */
  allowsHost: HostPolicy;
  /** A session without requests for this long is closed; default 30 minutes. */
  idleMs?: number;
  /** Most open sessions; default 1000. */
  maxSessions?: number;
}

interface Session {
  server: McpServer;
  transport: StreamableHTTPServerTransport;
  lastActive: number;
  inFlight: number;
}

/** The `/mcp` endpoint and its sessions. */
export class McpHttpEndpoint {
  private readonly sessions = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly maxSessions: number;
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor(
    private readonly deps: McpServerDeps,
    private readonly options: McpHttpOptions,
  ) {
    this.idleMs = options.idleMs ?? 30 * 60_000;
    this.maxSessions = options.maxSessions ?? 1000;
    this.sweeper = setInterval(() => this.sweep(Date.now()), Math.min(60_000, this.idleMs));
    this.sweeper.unref();
  }

  /** Open sessions. */
  get size(): number {
    return this.sessions.size;
  }

  /** Registers POST, GET and DELETE `/mcp` on the router. */
  register(router: Router): void {
    const handle = (ctx: RequestContext) => this.handle(ctx.req, ctx.res);
    router.on("POST", MCP_PATH, handle).on("GET", MCP_PATH, handle).on("DELETE", MCP_PATH, handle);
  }

  /** Closes every session (their open streams end). */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.server.close().catch(() => undefined)));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refused = checkOrigin(req.headers.host, header(req, "origin"), this.options.allowsHost);
    if (refused) {
      throw new HttpError(
        403,
        "Forbidden",
        `refusing ${refused.header} ${JSON.stringify(refused.value)}: /mcp accepts requests for this server's own names only`,
        "connect to http://127.0.0.1:<port>/mcp (or a name given with --allowed-host); browsers on other sites are refused",
      );
    }
    let body: unknown;
    if (req.method === "POST") {
      const text = await readBody(req, MAX_BODY_BYTES);
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        return jsonRpcError(res, 400, -32700, "Parse error: the body is not JSON");
      }
    }
    const id = header(req, "mcp-session-id");
    let session = id !== undefined ? this.sessions.get(id) : undefined;
    if (id !== undefined && !session) {
      return jsonRpcError(res, 404, -32001, "Session not found: it ended or expired; initialize a new one");
    }
    if (!session) {
      if (req.method !== "POST" || !isInitializeRequest(body)) {
        return jsonRpcError(
          res,
          400,
          -32000,
          "Bad Request: send initialize first, then Mcp-Session-Id with each request",
        );
      }
      session = await this.open();
    }
    session.inFlight++;
    session.lastActive = Date.now();
    try {
      await session.transport.handleRequest(req, res, body);
    } finally {
      session.inFlight--;
      session.lastActive = Date.now();
    }
  }

  private async open(): Promise<Session> {
    if (this.sessions.size >= this.maxSessions) this.evictOne();
    const server = createMcpServer(this.deps);
    const session: Session = {
      server,
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => {
          this.sessions.set(sid, session);
        },
      }),
      lastActive: Date.now(),
      inFlight: 0,
    };
    session.transport.onclose = () => {
      const sid = session.transport.sessionId;
      if (sid !== undefined && this.sessions.get(sid) === session) this.sessions.delete(sid);
    };
    await server.connect(session.transport);
    return session;
  }

  private sweep(now: number): void {
    for (const [id, s] of this.sessions) {
      if (s.inFlight === 0 && now - s.lastActive > this.idleMs) this.drop(id, s, "idle");
    }
  }

  private evictOne(): void {
    let oldest: [string, Session] | undefined;
    for (const entry of this.sessions) {
      if (entry[1].inFlight === 0 && (!oldest || entry[1].lastActive < oldest[1].lastActive)) oldest = entry;
    }
    if (oldest) this.drop(oldest[0], oldest[1], "too many sessions");
    else
      throw new HttpError(
        503,
        "Unavailable",
        `too many MCP sessions (${this.maxSessions}) are busy`,
        "retry later",
      );
  }

  private drop(id: string, s: Session, why: string): void {
    this.sessions.delete(id);
    this.deps.logger.debug("mcp session closed", { session: id, why });
    void s.server.close().catch(() => undefined);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
}
