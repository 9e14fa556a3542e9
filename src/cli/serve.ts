import type { Manager } from "../controller/manager.js";
import { ProjectService } from "../controller/service.js";
import { FileSpecWriter } from "../controller/spec-writer.js";
import { registerLogRoutes } from "../http/log-routes.js";
import { registerMetricsRoutes } from "../http/metrics-routes.js";
import { registerSseRoutes } from "../http/sse.js";
import { createLogSocketHandler } from "../http/ws-logs.js";
import { startHttpServer } from "../http/server.js";
import type { Logger } from "../util/logger.js";
import { berthVersion } from "./version.js";

/** Serves a running manager over HTTP: the REST API, /metrics, /healthz and /readyz. */
export async function serveManager(
  manager: Manager,
  logger: Logger,
): Promise<{ address: { host: string; port: number; url: string }; close(): Promise<void> }> {
  const { options } = manager;
  const service = new ProjectService({
    desired: manager.desired,
    status: manager.statusReader,
    writer: new FileSpecWriter(options.dir, manager.desired),
    ready: manager.ready,
    info: {
      dir: options.dir,
      version: berthVersion(),
      pid: process.pid,
      http: `${options.httpHost}:${options.httpPort}`,
    },
  });
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
      (router) => registerSseRoutes(router, logApi),
      (router) =>
        registerMetricsRoutes(router, {
          known: (key) => manager.desired.get(key) !== undefined,
          series: (key) => manager.streams.metrics.series(key),
        }),
    ],
    upgrades: [createLogSocketHandler(logApi)],
    ...(options.token ? { token: options.token } : {}),
  });
  return { address: server.address, close: () => server.close() };
}
