import type { Manager } from "../controller/manager.js";
import { ProjectService } from "../controller/service.js";
import { toProjectView } from "../controller/service-view.js";
import { isDashboardPath, registerDashboardRoutes } from "../http/dashboard.js";
import { registerLogRoutes } from "../http/log-routes.js";
import { registerMetricsRoutes } from "../http/metrics-routes.js";
import { registerSseRoutes } from "../http/sse.js";
import { createLogSocketHandler } from "../http/ws-logs.js";
import { startHttpServer } from "../http/server.js";
import { backendOf } from "../mcp/backend.js";
import { McpHttpEndpoint } from "../mcp/http.js";
import { mcpMetrics } from "../mcp/metrics.js";
import type { Logger } from "../util/logger.js";
import { berthVersion } from "./version.js";

/** The project service of a manager: the one spec writer of its directory in this process. */
export function projectServiceOf(manager: Manager): ProjectService {
  const { options } = manager;
  return new ProjectService({
    desired: manager.desired,
    status: manager.statusReader,
    writer: manager.writer,
    ready: manager.ready,
    info: {
      dir: options.dir,
      version: berthVersion(),
      pid: process.pid,
      http: `${options.httpHost}:${options.httpPort}`,
    },
  });
}

/** Serves a running manager over HTTP: the REST API, /mcp, /metrics, /healthz and /readyz. */
export async function serveManager(
  manager: Manager,
  logger: Logger,
  service: ProjectService = projectServiceOf(manager),
): Promise<{ address: { host: string; port: number; url: string }; close(): Promise<void> }> {
  const { options } = manager;
  const mcp = new McpHttpEndpoint(
    {
      backend: backendOf(manager, service),
      metrics: mcpMetrics(manager.registry),
      logger,
      version: berthVersion(),
    },
    { bindHost: options.httpHost },
  );
  const logApi = {
    known: (key: string) => manager.desired.get(key) !== undefined || manager.streams.logs.has(key),
    query: manager.streams.logs.query.bind(manager.streams.logs),
    bus: manager.streams.bus,
  };
  const server = await startHttpServer({
    host: options.httpHost,
    port: options.httpPort,
    registry: manager.registry,
    service,
    logger,
    ready: manager.ready,
    routes: [
      (router) => registerLogRoutes(router, logApi),
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
    upgrades: [createLogSocketHandler(logApi)],
    isPublicPath: isDashboardPath,
    ...(options.token ? { token: options.token } : {}),
  });
  return {
    address: server.address,
    close: async () => {
      await mcp.close();
      await server.close();
    },
  };
}
