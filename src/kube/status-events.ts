/**
 * Which events a status change deserves: containers created or replaced, a container turning
 * unhealthy, port conflicts, missing images, invalid specs, and the project becoming Ready or
 * Stopped. Pure: it compares two statuses of one project.
 */
import type { EventNote } from "./events.js";
import type { Condition, ConditionType, ProjectStatus } from "../api/index.js";

/** The events for the change from `prev` to `next` (both the reconciler's status of one project). */
export function statusEvents(prev: ProjectStatus | undefined, next: ProjectStatus): EventNote[] {
  const out: EventNote[] = [];
  for (const c of next.containers ?? []) {
    const before = prev?.containers?.find((p) => p.name === c.name);
    if (c.containerID && c.containerID !== before?.containerID) {
      out.push(
        before?.containerID
          ? {
              type: "Normal",
              reason: "Replaced",
              message: `container ${c.name} replaced: ${short(before.containerID)} -> ${short(c.containerID)} (${c.image ?? "?"})`,
            }
          : {
              type: "Normal",
              reason: "Created",
              message: `container ${c.name} created: ${short(c.containerID)} (${c.image ?? "?"})`,
            },
      );
    }
    if (c.health === "unhealthy" && before?.health !== "unhealthy") {
      out.push({ type: "Warning", reason: "Unhealthy", message: `container ${c.name} is unhealthy` });
    }
  }
  const turnedFalse = (type: ConditionType): Condition | undefined => {
    const now = next.conditions?.find((c) => c.type === type);
    const was = prev?.conditions?.find((c) => c.type === type);
    if (now?.status !== "False") return undefined;
    return was?.status !== "False" || was.message !== now.message ? now : undefined;
  };
  const warn = (type: ConditionType, reason: string) => {
    const c = turnedFalse(type);
    if (c) out.push({ type: "Warning", reason, message: c.message || c.reason });
  };
  warn("PortsAllocated", "PortConflict");
  warn("ImageAvailable", "ImageMissing");
  warn("SpecValid", "InvalidSpec");
  const ready = next.conditions?.find((c) => c.type === "Ready");
  const wasReady = prev?.conditions?.find((c) => c.type === "Ready");
  if (ready?.reason === "ReconcileError" && wasReady?.reason !== "ReconcileError") {
    out.push({ type: "Warning", reason: "ReconcileError", message: ready.message });
  }
  if (next.phase !== prev?.phase) {
    if (next.phase === "Running") {
      out.push({ type: "Normal", reason: "Ready", message: `all containers ready (${next.ready ?? ""})` });
    } else if (next.phase === "Stopped") {
      out.push({
        type: "Normal",
        reason: "Stopped",
        message: "all containers stopped (spec.state: Stopped)",
      });
    }
  }
  return out;
}

/**
 * `next` with each container that has no ID (briefly missing while it is replaced) given the
 * last ID known for it, so that the replacement is reported as Replaced, not Created.
 */
export function withKnownIds(prev: ProjectStatus | undefined, next: ProjectStatus): ProjectStatus {
  if (!prev?.containers || !next.containers?.some((c) => !c.containerID)) return next;
  const containers = next.containers.map((c) => {
    const id = c.containerID ?? prev.containers?.find((p) => p.name === c.name)?.containerID;
    return id ? { ...c, containerID: id } : c;
  });
  return { ...next, containers };
}

function short(id: string): string {
  return id.slice(0, 12);
}
