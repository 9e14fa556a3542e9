/**
 * The API shapes the dashboard reads (a subset of src/http/wire.ts and the status types; a unit
 * test checks that the server's types still fit these), and the list of phases.
 */

/** Every phase, in lifecycle order: a copy of src/api's PHASES, which a unit test keeps equal. */
export const PHASES = ["Pending", "Progressing", "Running", "Degraded", "Stopped", "Failed"] as const;
export type Phase = (typeof PHASES)[number];

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface ContainerStatus {
  name: string;
  containerID?: string;
  image?: string;
  state?: string;
  health?: string;
  restartCount?: number;
  startedAt?: string;
  exitCode?: number;
  /** `Completed`, `Failed` or `Waiting` (for a dependency). */
  reason?: string;
  /** Which dependency it waits for, or the last log lines before a failure. */
  message?: string;
}

export interface PortStatus {
  container?: string;
  name?: string;
  containerPort?: number;
  hostPort?: number;
  protocol?: string;
  url?: string;
}

export interface ProjectStatus {
  observedGeneration?: number;
  phase?: Phase;
  ready?: string;
  conditions?: Condition[];
  containers?: ContainerStatus[];
  ports?: PortStatus[];
  lastReconcileTime?: string;
}

export interface SpecError {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

/** One project as `GET /api/v1/projects` lists it. */
export interface ProjectView {
  namespace: string;
  name: string;
  generation: number;
  labels: Record<string, string>;
  spec: {
    state: "Running" | "Stopped";
    containers: Array<{ name: string; image: string }>;
    metrics: { enabled: boolean; intervalSeconds: number };
  };
  status: ProjectStatus;
  file: string;
  line: number;
  specErrors: SpecError[];
  creationTimestamp: string;
  hash: string;
}

/** One log line of the log WebSocket. */
export interface LogLine {
  ts: string;
  stream: "stdout" | "stderr";
  container: string;
  line: string;
}

/** One resource sample of the metrics SSE stream (cumulative counters, gauges). */
export interface MetricSample {
  container: string;
  time: number;
  cpuSeconds: number;
  memoryWorkingSetBytes: number;
  networkReceiveBytes: number;
  networkTransmitBytes: number;
}

/** `event: phase` of `/api/v1/events`. */
export interface PhaseEvent {
  project: string;
  phase: Phase | "Deleted";
  previous?: string;
  time: string;
}

/** `event: status` of `/api/v1/events`: the project after a status write, null once gone. */
export interface StatusEvent {
  project: string;
  view: ProjectView | null;
}

/** Every error body of the API. */
export interface ErrorBody {
  error: { code: string; message: string; hint?: string };
}
