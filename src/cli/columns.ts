import type { ProjectView } from "../service/view.js";
import type { PortStatus } from "../api/index.js";

/**
 * READY: the status's own count, else the containers that are running and not unhealthy, or
 * completed jobs, over the desired ones.
 */
export function readyColumn(view: ProjectView): string {
  if (view.status.ready) return view.status.ready;
  const ok = (view.status.containers ?? []).filter(
    (c) =>
      c.reason === "Completed" ||
      (c.state === "running" &&
        (c.health === undefined || c.health === "" || c.health === "healthy" || c.health === "none")),
  ).length;
  return `${ok}/${view.spec.containers.length}`;
}

/** The container reasons JOBS/WAITING counts, in the order it shows them. */
const COUNTED_REASONS = ["Completed", "Failed", "Waiting"] as const;

/**
 * JOBS/WAITING (wide): how many containers have completed, failed or wait for a dependency, as
 * `1 completed, 2 waiting`; empty when none has.
 */
export function jobsColumn(view: ProjectView): string {
  const containers = view.status.containers ?? [];
  return COUNTED_REASONS.map(
    (reason) => [reason, containers.filter((c) => c.reason === reason).length] as const,
  )
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${n} ${reason.toLowerCase()}`)
    .join(", ");
}

/** PORTS: the status's summary, else `hostPort->containerPort/proto` joined by commas. */
export function portsColumn(view: ProjectView): string {
  if (view.status.portSummary) return view.status.portSummary;
  const ports = (view.status.ports ?? []).map(formatPort);
  return ports.length > 0 ? ports.join(",") : "<none>";
}

/** One port as `20001->8080/tcp`, or `8080/tcp` when no host port is published yet. */
export function formatPort(p: PortStatus): string {
  const proto = (p.protocol ?? "TCP").toLowerCase();
  const inner = `${p.containerPort ?? "?"}/${proto}`;
  return p.hostPort ? `${p.hostPort}->${inner}` : inner;
}

/** Kubernetes-style resource form of a view, for `-o json|yaml`; applying it again works. */
export function toResource(view: ProjectView): Record<string, unknown> {
  return {
    apiVersion: "berth.dev/v1alpha1",
    kind: "Project",
    metadata: {
      name: view.name,
      namespace: view.namespace,
      ...(Object.keys(view.labels).length > 0 ? { labels: view.labels } : {}),
      ...(Object.keys(view.annotations).length > 0 ? { annotations: view.annotations } : {}),
      generation: view.generation,
      creationTimestamp: view.creationTimestamp,
    },
    spec: view.spec,
    status: view.status,
  };
}
