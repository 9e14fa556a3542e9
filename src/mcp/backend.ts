/**
 * What the MCP tools read and write through. The tools edit desired state only through the
 * {@link ProjectService} (the reconciler converges) and read observed state from caches; they
 * never call Docker. The operator builds one from a running manager.
 */
import type { ProjectService } from "../service/service.js";
import type { LogLine } from "../streams/log-line.js";
import type { SeriesPoint } from "../streams/metrics-sampler.js";
import type { LogQuery } from "../streams/query.js";
import type { ObservedContainer } from "../runtime/observed.js";
import type { ExecRequest, ExecResult } from "../service/exec.js";

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
  /** The latest result of Berth's own probe (httpGet/tcpSocket) of a container, if it has one. */
  probe?(projectKey: string, container: string): { ok: boolean; message: string } | undefined;
  /** Calls `listener` with the key of each project whose status changes; returns the unsubscribe. */
  watch?(listener: (key: string) => void): () => void;
  /** Runs a bounded command in a container (exec_in_container); absent where exec is not wired. */
  exec?(req: ExecRequest): Promise<ExecResult>;
}
