/**
 * What the MCP tools read and write through. The tools edit desired state only through the
 * {@link ProjectService} (the reconciler converges) and read observed state from caches; they
 * never call Docker. {@link backendOf} builds one from a running manager.
 */
import type { Manager } from "../controller/manager.js";
import type { ProjectService } from "../controller/service.js";
import type { LogLine } from "../streams/log-line.js";
import type { SeriesPoint } from "../streams/metrics-sampler.js";
import type { LogQuery } from "../streams/query.js";
import type { ObservedContainer } from "../runtime/observed.js";

/** The reads and writes behind the MCP tools; all synchronous reads are cache reads. */
export interface McpBackend {
  service: ProjectService;
  /** Kept container log lines of a project (ring buffers). */
  logs(projectKey: string, q: LogQuery): LogLine[];
  /** Kept resource samples per container. */
  metrics(projectKey: string): Array<{ container: string; points: SeriesPoint[] }>;
  /** This operator's containers of a project, as the Docker observer holds them. */
  observed(projectKey: string): readonly ObservedContainer[];
  /** `--publish-address`, for dry-run plans. */
  publishAddress: string;
}

/** The backend of a manager running in this process. */
export function backendOf(manager: Manager, service: ProjectService): McpBackend {
  return {
    service,
    logs: (key, q) => manager.streams.logs.query(key, q),
    metrics: (key) => manager.streams.metrics.series(key),
    observed: (key) => manager.owned.byProject(key),
    publishAddress: manager.options.publishAddress,
  };
}
