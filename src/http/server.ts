import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { Registry } from "prom-client";
import type { Logger } from "../util/logger.js";
import { Authenticator, isLoopbackHost } from "./auth.js";
import { MAX_BODY_BYTES } from "./body.js";
import { errorResponse, InsecureBindError, ListenError } from "./errors.js";
import { RequestGuard } from "./guard.js";
import { LOGIN_PATHS, loginUrl, registerLoginRoutes } from "./login.js";
import { sendJson, sendText } from "./respond.js";
import { Router } from "./router.js";
import { UNMATCHED_ROUTE, type HttpRequestMetrics } from "./request-metrics.js";
import { registerApiRoutes, type ProjectApi } from "./routes.js";
import { Sessions } from "./session.js";
import type { UpgradeHandler } from "./ws-logs.js";

/** Options of {@link startHttpServer}. */
export interface HttpServerOptions {
  /** Address to bind; anything but loopback requires `token`. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Served at /metrics. */
  registry: Pick<Registry, "metrics" | "contentType">;
  service: ProjectApi;
  logger: Logger;
  /** Answers /readyz: true once the daemon has finished its initial sync. */
  ready: () => boolean;
  /**
   * Why the daemon is not ready although its initial sync is done (Docker unreachable), or
   * undefined when nothing is wrong; /readyz answers 503 with it. Default: never.
   */
  unreadyReason?: () => string | undefined;
  /** Records each request's duration by route template (berth_http_request_duration_seconds). */
  requestMetrics?: HttpRequestMetrics;
  /**
   * Who may use the server: the holder of `token` (every route but /healthz, /readyz, /login and
   * the dashboard's page and assets needs it, or a dashboard session), or anyone who can reach it
   * (`"none"`, `--no-auth`; loopback binds only).
   */
  auth: { token: string } | "none";
  /** The Host/site/media-type checks; default one for `host` with no more names. */
  guard?: RequestGuard;
  /** Largest accepted request body; default 1 MiB. */
  maxBodyBytes?: number;
  /** More routes (logs, streams), registered after the REST API. */
  routes?: ReadonlyArray<(router: Router) => void>;
  /** WebSocket endpoints, tried in order after the checks; unmatched upgrades get a 404. */
  upgrades?: ReadonlyArray<UpgradeHandler>;
  /** Paths served without the token (the dashboard's page and assets, which hold no data). */
  isPublicPath?: (pathname: string) => boolean;
  /** Paths where a dashboard session cookie does not count (default: none). */
  isBearerOnlyPath?: (pathname: string) => boolean;
}

/** A listening server. */
export interface HttpServerHandle {
  address: { host: string; port: number; url: string };
  /** A new one-time URL that logs a browser in to the dashboard; undefined with auth "none". */
  loginUrl(): string | undefined;
  /** Stops accepting connections, ends open wait streams, and resolves when all are closed. */
  close(): Promise<void>;
}

const OPEN_PATHS = new Set(["/healthz", "/readyz"]);
const CLOSE_GRACE_MS = 2000;

/**
 * Starts the Berth HTTP server on node:http: /healthz, /readyz, /metrics, the login routes and
 * the REST API under /api/v1 (see routes.ts). Every request and upgrade first passes the
 * RequestGuard (Host, cross-site, media type), then the token check. Resolves once listening;
 * rejects with ListenError when the address is taken, and with InsecureBindError when `host` is
 * not loopback and auth is "none". Requests are handled concurrently; each is logged at debug
 * level, and failures at warn (4xx) or error (5xx).
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServerHandle> {
  const token = options.auth === "none" ? undefined : options.auth.token;
  if (!isLoopbackHost(options.host) && !token) throw new InsecureBindError(options.host);
  const guard = options.guard ?? new RequestGuard({ bindHost: options.host, allowedHosts: [] });
  // Set once listening (the session cookie is named after the port); nothing is served before.
  let auth: { authenticator: Authenticator; login: () => string } | undefined;
  let baseUrl = "";
  const router = new Router()
    .on("GET", "/healthz", ({ res }) => sendText(res, 200, "ok\n"))
    .on("GET", "/readyz", ({ res }) => {
      if (!options.ready())
        return sendText(
          res,
          503,
          "not ready: the initial sync of the desired state and Docker is still running\n",
        );
      const reason = options.unreadyReason?.();
      return reason === undefined ? sendText(res, 200, "ok\n") : sendText(res, 503, `not ready: ${reason}\n`);
    })
    .on("GET", "/metrics", async ({ res }) => {
      const body = await options.registry.metrics();
      sendText(res, 200, body, options.registry.contentType);
    });
  registerApiRoutes(router, options.service, options.maxBodyBytes ?? MAX_BODY_BYTES, options.logger);
  for (const register of options.routes ?? []) register(router);

  const shutdown = new AbortController();
  const server = createServer((req, res) => void handle(req, res));
  server.requestTimeout = 60_000; // receiving a request; responses (wait streams) may take longer
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://berth.invalid");
    try {
      guard.check(req.method, req.headers, true);
      auth?.authenticator.authorize(req.headers, { cookie: true });
    } catch (err) {
      const { status, body } = errorResponse(err);
      options.logger.debug("http upgrade refused", { path: url.pathname, status, code: body.error.code });
      const reason = status === 401 ? "Unauthorized" : "Forbidden";
      const extra = status === 401 ? 'www-authenticate: Bearer realm="berth"\r\n' : "";
      const text = `${body.error.message}\n`;
      socket.end(
        `HTTP/1.1 ${status} ${reason}\r\n${extra}content-type: text/plain; charset=utf-8\r\n` +
          `content-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
      );
      return;
    }
    for (const upgrade of options.upgrades ?? [])
      if (upgrade(req, socket, head, url, shutdown.signal)) return;
    socket.end("HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n");
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? "/", "http://berth.invalid");
    const done = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) done.abort();
    };
    res.on("close", onClose);
    const signal = AbortSignal.any([done.signal, shutdown.signal]);
    try {
      guard.check(req.method, req.headers, false);
      const open =
        OPEN_PATHS.has(url.pathname) ||
        (token !== undefined && LOGIN_PATHS.has(url.pathname)) ||
        options.isPublicPath?.(url.pathname) === true;
      if (auth && !open) {
        const cookie = options.isBearerOnlyPath?.(url.pathname) !== true;
        auth.authenticator.authorize(req.headers, { cookie });
      }
      const { handler, params } = router.match(req.method ?? "GET", url.pathname);
      await handler({ req, res, params, url, signal });
    } catch (err) {
      const { status, headers, body } = errorResponse(err);
      if (status === 413) headers["connection"] = "close";
      const fields = { method: req.method, path: url.pathname, status, err };
      if (status >= 500) options.logger.error("http request failed", fields);
      else options.logger.debug("http request refused", { ...fields, code: body.error.code });
      if (res.headersSent) res.end(`${JSON.stringify(body)}\n`);
      else sendJson(res, status, body, headers);
    } finally {
      res.off("close", onClose);
      // while shutting down, drop this keep-alive connection as soon as it is idle
      if (shutdown.signal.aborted) {
        const dropIdle = () => setImmediate(() => server.closeIdleConnections());
        if (res.writableFinished) dropIdle();
        else res.once("finish", dropIdle);
      }
      const elapsed = performance.now() - started;
      if (options.requestMetrics) {
        const route = router.patternOf(url.pathname) ?? UNMATCHED_ROUTE;
        const observe = () =>
          options.requestMetrics?.observe(
            route,
            req.method ?? "GET",
            res.statusCode,
            (performance.now() - started) / 1000,
          );
        if (res.writableFinished || res.destroyed) observe();
        else res.once("close", observe);
      }
      const ms = Math.round(elapsed * 10) / 10;
      options.logger.debug("http request", {
        method: req.method,
        path: url.pathname,
        status: res.statusCode,
        ms,
      });
    }
  }

  await listen(server, options.host, options.port);
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const address = { host: addr.address, port: addr.port, url: `http://${host}:${addr.port}` };
  baseUrl = browserUrl(options.host, addr.port);
  if (token) {
    // Cookies are not port-scoped: the session cookie's name carries the port, known only now.
    const login = { token, sessions: new Sessions({ token, port: addr.port }), baseUrl: () => baseUrl };
    registerLoginRoutes(router, login);
    auth = { authenticator: new Authenticator(token, login.sessions), login: () => loginUrl(login) };
  }
  options.logger.info("http server listening", { url: address.url, auth: token ? "token" : "none" });
  return { address, loginUrl: () => auth?.login(), close: () => close(server, shutdown) };
}

/** The URL a browser on this host uses: loopback for a wildcard bind. Pure. */
function browserUrl(bindHost: string, port: number): string {
  const h = bindHost === "0.0.0.0" || bindHost === "" ? "127.0.0.1" : bindHost === "::" ? "::1" : bindHost;
  return `http://${h.includes(":") ? `[${h}]` : h}:${port}`;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      reject(new ListenError(host, port, err));
    };
    const onListening = () => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}

async function close(server: Server, shutdown: AbortController): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  shutdown.abort();
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
  try {
    await closed;
  } finally {
    clearTimeout(timer);
  }
}
