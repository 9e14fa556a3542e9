import type { McpBackend } from "../mcp/backend.js";
import { execInContainer } from "../service/exec.js";
import type { ProjectService } from "../service/service.js";
import type { Manager } from "./manager.js";

/** The backend of a manager running in this process. */
export function backendOf(manager: Manager, service: ProjectService): McpBackend {
  return {
    service,
    logs: (key, q) => manager.streams.logs.query(key, q),
    metrics: (key) => manager.streams.metrics.series(key),
    observed: (key) => manager.owned.byProject(key),
    publishAddress: manager.options.publishAddress,
    probe: (key, container) => manager.probes.lastResult(key, container),
    watch: (listener) => manager.statusReader.watch(listener),
    exec: (req) =>
      execInContainer({ docker: manager.docker, observed: manager.owned, desired: manager.desired }, req),
  };
}
