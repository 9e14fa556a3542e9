import type { Manager } from "../controller/manager.js";
import { ProjectService } from "../controller/service.js";
import { FileSpecWriter } from "../controller/spec-writer.js";
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
    status: manager.status,
    writer: new FileSpecWriter(options.dir, manager.desired),
    ready: manager.ready,
    info: {
      dir: options.dir,
      version: berthVersion(),
      pid: process.pid,
      http: `${options.httpHost}:${options.httpPort}`,
    },
  });
  const server = await startHttpServer({
    host: options.httpHost,
    port: options.httpPort,
    registry: manager.registry,
    service,
    logger,
    ready: manager.ready,
    ...(options.token ? { token: options.token } : {}),
  });
  return { address: server.address, close: () => server.close() };
}
