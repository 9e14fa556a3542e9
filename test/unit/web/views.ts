import type { ProjectStatus, ProjectView } from "../../../web/src/types.js";

/** A project view as the API lists it, for the dashboard's pure tests. */
export function view(
  name: string,
  over: {
    namespace?: string;
    labels?: Record<string, string>;
    status?: ProjectStatus;
    containers?: number;
  } = {},
): ProjectView {
  return {
    namespace: over.namespace ?? "default",
    name,
    generation: 1,
    labels: over.labels ?? {},
    spec: {
      state: "Running",
      containers: Array.from({ length: over.containers ?? 1 }, (_, i) => ({
        name: `c${i}`,
        image: "busybox",
      })),
      metrics: { enabled: true, intervalSeconds: 2 },
    },
    status: over.status ?? { phase: "Pending" },
    file: `/specs/${name}.yaml`,
    line: 1,
    specErrors: [],
    creationTimestamp: "2026-01-01T00:00:00Z",
    hash: "h",
  };
}
