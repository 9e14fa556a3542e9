import type { PortAssignment } from "../ports/allocator.js";
import type { ProbeTarget } from "./prober.js";
import type { ContainerSpec } from "../api/index.js";

/**
 * What Berth probes for a running container: its httpGet/tcpSocket check against the published
 * host port. `none` when it has no such check; `unassigned` when the port it names has no host port.
 * Pure.
 */
export function probeTarget(
  spec: ContainerSpec,
  assignments: readonly PortAssignment[],
  publishAddress: string,
): ProbeTarget | "none" | "unassigned" {
  const hc = spec.healthCheck;
  const probe = hc?.httpGet ?? hc?.tcpSocket;
  if (!hc || !probe) return "none";
  const port = assignments.find(
    (a) => a.container === spec.name && (a.portName === String(probe.port) || a.containerPort === probe.port),
  );
  if (!port) return "unassigned";
  const timing = {
    periodSeconds: hc.periodSeconds,
    timeoutSeconds: hc.timeoutSeconds,
    failureThreshold: hc.failureThreshold,
    initialDelaySeconds: hc.initialDelaySeconds,
  };
  const host = publishAddress === "0.0.0.0" ? "127.0.0.1" : publishAddress;
  return hc.httpGet
    ? { kind: "http", url: `http://${host}:${port.hostPort}${hc.httpGet.path}`, ...timing }
    : { kind: "tcp", host, port: port.hostPort, ...timing };
}
