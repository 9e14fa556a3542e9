import {
  originLabel,
  type Condition,
  type DesiredProject,
  type ProjectSpec,
  type ProjectStatus,
  type SpecError,
  type StatusEntry,
  type Transition,
} from "../api/index.js";

/**
 * One project as the API shows it: the desired spec with where it came from, and the observed
 * status (`{phase: "Pending"}` until the reconciler has written one). Plain JSON.
 */
export interface ProjectView {
  namespace: string;
  name: string;
  /** Increments when the spec changes. */
  generation: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: ProjectSpec;
  status: ProjectStatus;
  transitions: Transition[];
  /** Absolute path of the spec file, and the line its document starts on. */
  file: string;
  line: number;
  specErrors: SpecError[];
  creationTimestamp: string;
  /** Spec hash; pass it back as `expectedHash` (HTTP: `If-Match`) for optimistic concurrency. */
  hash: string;
}

/** Builds the view of a desired project and its status entry. Pure. */
export function toProjectView(desired: DesiredProject, entry: StatusEntry | undefined): ProjectView {
  const { metadata, spec } = desired.project;
  return {
    namespace: metadata.namespace,
    name: metadata.name,
    generation: desired.generation,
    labels: { ...metadata.labels },
    annotations: { ...metadata.annotations },
    spec,
    status: entry?.status ?? { phase: "Pending" },
    transitions: entry?.transitions ?? [],
    ...originLabel(desired.origin),
    specErrors: desired.specErrors,
    creationTimestamp: desired.creationTimestamp,
    hash: desired.hash,
  };
}

const CONDITION_ORDER = ["SpecValid", "ImageAvailable", "PortsAllocated", "Ready", "Progressing"];

/**
 * A one-line summary of a status for progress lines and errors: the phase, the ready count, and
 * the message of the condition that explains it best (the first failing one, else Progressing).
 */
export function describeStatus(status: ProjectStatus): string {
  const phase = status.phase ?? "Pending";
  const ready = status.ready ? ` (${status.ready} ready)` : "";
  const why = phase === "Running" || phase === "Stopped" ? undefined : explainingCondition(status.conditions);
  const detail = why ? `: ${why.reason}${why.message ? ` - ${why.message}` : ""}` : "";
  return `${phase}${ready}${detail}`;
}

function explainingCondition(conditions: readonly Condition[] = []): Condition | undefined {
  const sorted = [...conditions].sort(
    (a, b) => CONDITION_ORDER.indexOf(a.type) - CONDITION_ORDER.indexOf(b.type),
  );
  const failing = sorted.find(
    (c) => c.type !== "Progressing" && c.status === "False" && (c.message || c.reason),
  );
  return failing ?? sorted.find((c) => c.type === "Progressing" && c.status === "True");
}
