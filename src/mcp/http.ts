/**
 * Streamable HTTP at `/mcp` on the daemon's HTTP server, for both generations of clients:
 *
 * - 2026-07-28 requests (a per-request `_meta` envelope) are stateless: the SDK's
 *   `createMcpHandler` answers each with a fresh server; progress rides the request's own SSE
 *   stream and closing that stream cancels the call. Change notifications of the project
 *   resources go out on `subscriptions/listen` streams.
 * - 2025-era requests (2025-11-25, 2025-06-18) keep their sessions: `initialize` creates one
 *   server and transport for that client alone, found again by `Mcp-Session-Id`. Sessions end on
 *   DELETE, when the daemon stops, after `idleMs` without a request, or (the least recently used
 *   idle one) when `maxSessions` are open.
 *
 * Host and Origin are checked first (origin.ts); the bearer token is the HTTP server's.
 *
 * Tasks (tasks.ts) live in one store of the endpoint, shared by both generations: a task outlives
 * the request or session that made it, and belongs to the credential that made it.
 */
import { createHash, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  createMcpHandler,
  isInitializeRequest,
  isLegacyRequest,
  WebStandardStreamableHTTPServerTransport,
  type McpHttpHandler,
  type McpServer,
} from "@modelcontextprotocol/server";
import { readBody } from "../http/body.js";
import { HttpError } from "../http/errors.js";
import type { RequestContext, Router } from "../http/router.js";
import { FULL_ACCESS, narrowed } from "./access.js";
import { checkOrigin, type HostPolicy } from "./origin.js";
import { watchResources } from "./resource-events.js";
import { createMcpServer, type McpServerDeps } from "./server.js";
import { TaskStore } from "./task-store.js";
import { sendWebResponse, webRequest } from "./web.js";

/** The path the endpoint serves. */
export const MCP_PATH = "/mcp";

/** Largest request body; tool arguments are limited to 1 MiB separately (call.ts). */
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
  transport: WebStandardStreamableHTTPServerTransport;
  lastActive: number;
  inFlight: number;
}

/** The `/mcp` endpoint: the stateless 2026-07-28 handler and the 2025-era sessions. */
export class McpHttpEndpoint {
  private readonly sessions = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly maxSessions: number;
  private readonly sweeper: ReturnType<typeof setInterval>;
  private readonly modern: McpHttpHandler;
  private readonly unwatch: () => void;

  private readonly deps: McpServerDeps;
  private readonly ownTasks: TaskStore | undefined;

  constructor(
    deps: McpServerDeps,
    private readonly options: McpHttpOptions,
  ) {
    this.ownTasks = deps.tasks ? undefined : new TaskStore();
    this.deps = this.ownTasks ? { ...deps, tasks: this.ownTasks } : deps;
    this.idleMs = options.idleMs ?? 30 * 60_000;
    this.maxSessions = options.maxSessions ?? 1000;
    this.sweeper = setInterval(() => this.sweep(Date.now()), Math.min(60_000, this.idleMs));
    this.sweeper.unref();
    this.modern = createMcpHandler(
      (ctx) => createMcpServer(this.depsFor(ctx.requestInfo?.headers), ctx.era),
      {
        legacy: "reject",
        maxRequestBodySize: MAX_BODY_BYTES,
        onerror: (err) => deps.logger.debug("mcp request refused", { err: err.message }),
      },
    );
    this.unwatch = watchResources(deps.backend, {
      updated: (uri) => this.modern.notify.resourceUpdated(uri),
      listChanged: () => {
        this.modern.notify.resourcesChanged();
        for (const s of this.sessions.values()) s.server.sendResourceListChanged();
      },
    });
  }

  /** Open 2025-era sessions. */
  get size(): number {
    return this.sessions.size;
  }

  /** Registers POST, GET and DELETE `/mcp` on the router. */
  register(router: Router): void {
    const handle = (ctx: RequestContext) => this.handle(ctx.req, ctx.res);
    router.on("POST", MCP_PATH, handle).on("GET", MCP_PATH, handle).on("DELETE", MCP_PATH, handle);
  }

  /** Closes every session and open stream. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.unwatch();
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all([
      this.modern.close().catch(() => undefined),
      ...all.map((s) => s.server.close().catch(() => undefined)),
    ]);
    this.ownTasks?.close();
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
    let text: string | undefined;
    let body: unknown;
    if (req.method === "POST") {
      text = await readBody(req, MAX_BODY_BYTES);
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        return jsonRpcError(res, 400, -32700, "Parse error: the body is not JSON");
      }
    }
    const request = webRequest(req, res, text);
    const legacy = await isLegacyRequest(request, body, { maxRequestBodySize: MAX_BODY_BYTES });
    if (!legacy) {
      return sendWebResponse(res, await this.modern.fetch(request, { parsedBody: body }));
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
          "Bad Request: send initialize first (2025-era clients), then Mcp-Session-Id with each request; or send 2026-07-28 requests with their _meta envelope",
        );
      }
      session = await this.open(this.depsFor(request.headers));
    }
    session.inFlight++;
    session.lastActive = Date.now();
    try {
      await sendWebResponse(res, await session.transport.handleRequest(request, { parsedBody: body }));
    } finally {
      session.inFlight--;
      session.lastActive = Date.now();
    }
  }

  /**
   * The server deps for a request: this endpoint's access, narrowed by the client's headers, and
   * the caller's key for its tasks (a digest of its Authorization header; the HTTP server has
   * checked the token already).
   */
  private depsFor(headers: Headers | undefined): McpServerDeps {
    const access = narrowed(this.deps.access ?? FULL_ACCESS, headers);
    const auth = headers?.get("authorization");
    const caller = auth ? createHash("sha256").update(auth).digest("base64url") : "anonymous";
    return { ...this.deps, access, caller };
  }

  private async open(deps: McpServerDeps): Promise<Session> {
    if (this.sessions.size >= this.maxSessions) this.evictOne();
    const server = createMcpServer(deps, "legacy");
    const session: Session = {
      server,
      transport: new WebStandardStreamableHTTPServerTransport({
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
