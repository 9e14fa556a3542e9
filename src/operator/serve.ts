import { ensureToken } from "../cache/token-file.js";
import type { Manager } from "./manager.js";
import type { RunOptions } from "./options.js";
import { ProjectService } from "../service/service.js";
import { toProjectView } from "../service/view.js";
import { isDashboardPath, registerDashboardRoutes } from "../http/dashboard.js";
import { registerExecRoutes } from "../http/exec-routes.js";
import { gcRunner, registerGcRoutes } from "../http/gc-routes.js";
import { registerGcMetrics } from "../service/gc.js";
import { startPeriodicGc } from "../service/gc-schedule.js";
import { registerVolumeRoutes } from "../http/volume-routes.js";
import { createExecSocketHandler } from "../http/exec-socket.js";
import { registerLogRoutes } from "../http/log-routes.js";
import { registerMetricsRoutes } from "../http/metrics-routes.js";
import { registerSseRoutes } from "../http/sse.js";
import { createLogSocketHandler } from "../http/ws-logs.js";
import { RequestGuard } from "../http/guard.js";
import { registerHttpRequestMetrics } from "../http/request-metrics.js";
import { startHttpServer } from "../http/server.js";
import { backendOf } from "./mcp-backend.js";
import { MCP_PATH, McpHttpEndpoint } from "../mcp/http.js";
import { mcpMetrics } from "../mcp/metrics.js";
import type { Logger } from "../util/logger.js";
import { berthVersion } from "../util/version.js";

/** The project service of a manager: the one spec writer of its directory in this process. */
export function projectServiceOf(manager: Manager): ProjectService {
  const { options } = manager;
  return new ProjectService({
    desired: manager.desired,
    status: manager.statusReader,
    writer: manager.writer,
    ready: manager.ready,
    problems: () => manager.watchProblems(),
    info: {
      dir: options.dir,
      version: berthVersion(),
      pid: process.pid,
      http: `${options.httpHost}:${options.httpPort}`,
    },
  });
}

/**
 * Who may use the HTTP API: the explicit `--token` / BERTH_TOKEN, else the state directory's
 * token (created on first start, mode 0600), or no one checks with `--no-auth` (a warning).
 */
export async function operatorAuth(options: RunOptions, logger: Logger): Promise<{ token: string } | "none"> {
  if (options.noAuth) {
    logger.warn(
      "authentication is off (--no-auth): every local user and every process on this host can drive Berth and Docker through it",
      { http: `${options.httpHost}:${options.httpPort}` },
    );
    return "none";
  }
  if (options.token !== undefined) return { token: options.token };
  const found = await ensureToken(options.stateDir);
  if (found.created) logger.info("created the API token", { file: found.path });
  if (found.repaired)
    logger.warn("the API token file was readable by others", { file: found.path, fix: found.repaired });
  return { token: found.token };
}

/** A running HTTP server of a manager. */
export interface ServedManager {
  address: { host: string; port: number; url: string };
  /** A new one-time dashboard login URL; undefined without authentication. */
  loginUrl(): string | undefined;
  close(): Promise<void>;
}

/** Serves a running manager over HTTP: the REST API, /mcp, /metrics, /healthz and /readyz. */
export async function serveManager(
  manager: Manager,
  logger: Logger,
  service: ProjectService = projectServiceOf(manager),
): Promise<ServedManager> {
  const { options } = manager;
  const auth = await operatorAuth(options, logger);
  const hosts = new RequestGuard({ bindHost: options.httpHost, allowedHosts: options.allowedHosts });
  const mcp = new McpHttpEndpoint(
    {
      backend: backendOf(manager, service),
      metrics: mcpMetrics(manager.registry),
      logger,
      version: berthVersion(),
      access: options.mcp,
    },
    { allowsHost: (name) => hosts.allowsHostName(name) },
  );
  const logApi = {
    known: (key: string) => manager.desired.get(key) !== undefined || manager.streams.logs.has(key),
    query: manager.streams.logs.query.bind(manager.streams.logs),
    bus: manager.streams.bus,
  };
  const execDeps = { docker: manager.docker, observed: manager.owned, desired: manager.desired };
  const gcDeps = {
    docker: manager.docker,
    desired: manager.desired,
    metrics: registerGcMetrics(manager.registry),
  };
  const gcStop = new AbortController();
  startPeriodicGc(gcDeps, { intervalMs: options.gcIntervalMs, keep: options.gcKeep }, logger, gcStop.signal);
  const server = await startHttpServer({
    host: options.httpHost,
    port: options.httpPort,
    registry: manager.registry,
    service,
    logger,
    ready: manager.ready,
    unreadyReason: () => manager.unreadyReason(),
    requestMetrics: registerHttpRequestMetrics(manager.registry),
    routes: [
      (router) => registerLogRoutes(router, logApi),
      (router) => registerExecRoutes(router, execDeps),
      (router) => registerGcRoutes(router, gcRunner(gcDeps)),
      (router) => registerVolumeRoutes(router, manager.volumes),
      (router) =>
        registerSseRoutes(router, {
          ...logApi,
          projects: {
            watch: (listener) => manager.statusReader.watch(listener),
            view: (key) => {
              const desired = manager.desired.get(key);
              return desired ? toProjectView(desired, manager.statusReader.get(key)) : undefined;
            },
          },
        }),
      (router) =>
        registerMetricsRoutes(router, {
          known: (key) => manager.desired.get(key) !== undefined,
          series: (key) => manager.streams.metrics.series(key),
        }),
      (router) => registerDashboardRoutes(router),
      (router) => mcp.register(router),
    ],
    upgrades: [createLogSocketHandler(logApi), createExecSocketHandler(execDeps)],
    isPublicPath: isDashboardPath,
    // MCP clients are programs with the token; a browser session does not reach the tools.
    isBearerOnlyPath: (path) => path === MCP_PATH,
    auth,
    guard: hosts,
  });
  return {
    address: server.address,
    loginUrl: () => server.loginUrl(),
    close: async () => {
      gcStop.abort();
      await mcp.close();
      await server.close();
    },
  };
}
