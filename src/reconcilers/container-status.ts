/**
 * The status of each spec container: state, health, exit code, and a reason with a message when
 * it waits for a dependency, completed (a job) or failed. Pure; project-status.ts builds on it.
 */
import type { ObservedContainer } from "../runtime/observed.js";
import { runOutcome, type Health, type RunOutcome } from "./dependencies.js";
import type { ContainerSpec, ContainerStatus } from "../api/index.js";

/** Lines of a failed container's log shown in its status message, at most. */
export const FAILURE_LINES = 10;
/** Characters of one log line kept in a status message. */
const LINE_CHARS = 200;
/** Characters of a failure message, at most (the newest lines are kept). */
const MESSAGE_CHARS = 1500;

/** What the container statuses are computed from. */
export interface ContainerFacts {
  /** The project's containers after this reconcile's actions, by spec container name. */
  containers: ReadonlyMap<string, ObservedContainer>;
  /** httpGet/tcpSocket probe results by container name. */
  probes: ReadonlyMap<string, Health | undefined>;
  /** Spec containers that wait for a dependency, with the message saying which and why. */
  waiting?: ReadonlyMap<string, string>;
  /** Containers Berth stopped (their exit is not a job's outcome). */
  stoppedByBerth?: Pick<ReadonlySet<string>, "has">;
  /** The last log lines of failed containers, by name, oldest first. */
  logTails?: ReadonlyMap<string, readonly string[]>;
  /** The error a container's steps ended with in this reconcile, by name. */
  errors?: ReadonlyMap<string, string>;
}

const NONE: Pick<ReadonlySet<string>, "has"> = new Set<string>();

/** The health status shows: Berth's probe when it has one, else Docker's. */
export function healthOf(f: ContainerFacts, name: string, c: ObservedContainer | undefined): Health {
  return f.probes.get(name) ?? c?.health ?? "none";
}

/** How the container of `spec` last ended, if it did (see {@link runOutcome}). */
export function outcomeOf(f: ContainerFacts, spec: ContainerSpec): RunOutcome | undefined {
  const c = f.containers.get(spec.name);
  return c ? runOutcome(spec, c, f.stoppedByBerth ?? NONE) : undefined;
}

/** The status entry of one spec container. */
export function containerStatus(f: ContainerFacts, s: ContainerSpec): ContainerStatus {
  const c = f.containers.get(s.name);
  const ended = c !== undefined && c.startedAt !== undefined && !c.running;
  const exited = ended || c?.state === "restarting";
  const outcome = outcomeOf(f, s);
  const waiting = f.waiting?.get(s.name);
  const error = f.errors?.get(s.name);
  const why =
    waiting !== undefined
      ? { reason: "Waiting", message: waiting }
      : outcome === "Failed" && c
        ? { reason: "Failed", message: failureMessage(c.exitCode, f.logTails?.get(s.name) ?? []) }
        : outcome === "Completed"
          ? { reason: "Completed", message: "exited with code 0" }
          : error !== undefined
            ? { message: error }
            : {};
  return {
    name: s.name,
    ...(c
      ? { containerID: c.id, image: s.image, imageID: c.imageID, startedAt: c.startedAt ?? "" }
      : { image: s.image }),
    state: c?.state ?? "missing",
    health: healthOf(f, s.name, c),
    restartCount: c?.restartCount ?? 0,
    ...(c && exited ? { exitCode: c.exitCode } : {}),
    ...why,
  };
}

/**
 * `exited with code 3`, then the last log lines (each cut to LINE_CHARS, the whole to
 * MESSAGE_CHARS, keeping the newest). Pure.
 */
export function failureMessage(exitCode: number, lines: readonly string[]): string {
  const head = `exited with code ${exitCode}`;
  const kept = lines
    .slice(-FAILURE_LINES)
    .map((l) => (l.length > LINE_CHARS ? `${l.slice(0, LINE_CHARS)}…` : l));
  let body = kept.join("\n");
  while (body.length > MESSAGE_CHARS - head.length - 20 && kept.length > 1) {
    kept.shift();
    body = kept.join("\n");
  }
  return kept.length > 0 ? `${head}; last lines:\n${body}` : head;
}
