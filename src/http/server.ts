import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { Registry } from "prom-client";
import type { Logger } from "../util/logger.js";
import { checkBearer, isLoopbackHost } from "./auth.js";
import { MAX_BODY_BYTES } from "./body.js";
import { bearerFromWebSocketProtocol } from "./dashboard-auth.js";
import { errorResponse, InsecureBindError } from "./errors.js";
import { sendJson, sendText } from "./respond.js";
import { Router } from "./router.js";
import { registerApiRoutes, type ProjectApi } from "./routes.js";
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
  /** Bearer token required on every route but /healthz and /readyz, when set. */
  token?: string;
  /** Largest accepted request body; default 1 MiB. */
  maxBodyBytes?: number;
  /** More routes (logs, streams), registered after the REST API. */
  routes?: ReadonlyArray<(router: Router) => void>;
  /** WebSocket endpoints, tried in order after the token check; unmatched upgrades get a 404. */
  upgrades?: ReadonlyArray<UpgradeHandler>;
  /** Paths served without the token (the dashboard's page and assets, which hold no data). */
  isPublicPath?: (pathname: string) => boolean;
}

/** A listening server. */
export interface HttpServerHandle {
  address: { host: string; port: number; url: string };
  /** Stops accepting connections, ends open wait streams, and resolves when all are closed. */
  close(): Promise<void>;
}

const OPEN_PATHS = new Set(["/healthz", "/readyz"]);
const CLOSE_GRACE_MS = 2000;

/**
 * Starts the Berth HTTP server on node:http: /healthz, /readyz, /metrics and the REST API under
 * /api/v1 (see routes.ts). Resolves once listening; rejects when the address is taken, and with
 * InsecureBindError when `host` is not loopback and no token is set. Requests are handled
 * concurrently; each is logged at debug level, and failures at warn (4xx) or error (5xx).
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServerHandle> {
  const token = options.token ? options.token : undefined;
  if (!isLoopbackHost(options.host) && !token) throw new InsecureBindError(options.host);
  const router = new Router()
    .on("GET", "/healthz", ({ res }) => sendText(res, 200, "ok\n"))
    .on("GET", "/readyz", ({ res }) =>
      options.ready()
        ? sendText(res, 200, "ok\n")
        : sendText(
            res,
            503,
            "not ready: the initial sync of the desired state and Docker is still running\n",
          ),
    )
    .on("GET", "/metrics", async ({ res }) => {
      const body = await options.registry.metrics();
      sendText(res, 200, body, options.registry.contentType);
    });
  registerApiRoutes(router, options.service, options.maxBodyBytes ?? MAX_BODY_BYTES);
  for (const register of options.routes ?? []) register(router);

  const shutdown = new AbortController();
  const server = createServer((req, res) => void handle(req, res));
  server.requestTimeout = 60_000; // receiving a request; responses (wait streams) may take longer
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://berth.invalid");
    try {
      // browsers cannot set Authorization on an upgrade; they offer the token as a subprotocol
      const authorization =
        req.headers.authorization ?? bearerFromWebSocketProtocol(req.headers["sec-websocket-protocol"]);
      if (token) checkBearer(authorization, token);
    } catch {
      socket.end(
        'HTTP/1.1 401 Unauthorized\r\nwww-authenticate: Bearer realm="berth"\r\nconnection: close\r\n\r\n',
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
      const open = OPEN_PATHS.has(url.pathname) || options.isPublicPath?.(url.pathname) === true;
      if (token && !open) checkBearer(req.headers.authorization, token);
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
      const ms = Math.round((performance.now() - started) * 10) / 10;
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
  options.logger.info("http server listening", { url: address.url, auth: token ? "bearer" : "none" });
  return { address, close: () => close(server, shutdown) };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      if (err.code === "EADDRINUSE") {
        reject(
          new Error(`cannot listen on ${host}:${port}: the address is in use (is another berth running?)`, {
            cause: err,
          }),
        );
      } else reject(new Error(`cannot listen on ${host}:${port}: ${err.message}`, { cause: err }));
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
