/**
 * Applies one batch of changed paths of one active watch rule to its running container: copies
 * and deletes files through the archive API and exec, then restarts the container or runs the
 * rule's command; a `rebuild` rule hands over to the reconciler. Returns the outcome as a
 * {@link SyncRecord}; never throws for a Docker failure (the record carries the error).
 */
import { posix } from "node:path";
import type { DockerExec } from "../../runtime/exec.js";
import type { DockerSync } from "../../runtime/sync.js";
import { selectPaths, syncArchive, syncPlace, type LinkCheck, type SyncSelection } from "./sync-tar.js";
import type { SyncRecord, WatchRule } from "../../api/index.js";

/** A rule while its container runs. */
export interface ActiveRule {
  /** `namespace/name`. */
  key: string;
  container: string;
  containerID: string;
  rule: WatchRule;
  /** The real path of `rule.path`, checked against the allowed roots. */
  real: string;
  /** True when `rule.path` is one file rather than a directory. */
  isFile: boolean;
}

/** What applying needs: Docker, the log stream, the link check, and the rebuild hand-over. */
export interface ApplyDeps {
  docker: DockerSync & Pick<DockerExec, "createExec" | "startExec" | "inspectExec">;
  /** A `[sync]` line on the container's log stream. */
  output(key: string, container: string, line: string): void;
  /** Whether a link's real target is inside the allowed roots. */
  linkInside: LinkCheck;
  /** Asks the reconciler to rebuild the project's images (it compares build digests). */
  rebuild(key: string): void;
  /** Grace period of a restart before SIGKILL. */
  stopTimeoutSeconds: number;
}

/** Longest a sync+exec command may run; after this the sync is reported as failed. */
export const EXEC_TIMEOUT_MS = 60_000;
/** Output lines of a sync+exec command copied to the log stream. */
const EXEC_LINES = 50;

/**
 * Applies `paths` (relative to the rule's directory; for a file rule its name) to the container.
 * Resolves with the outcome, or undefined when there was nothing to do (every path refused).
 */
export async function applyBatch(
  active: ActiveRule,
  paths: readonly string[],
  deps: ApplyDeps,
  signal: AbortSignal,
): Promise<SyncRecord | undefined> {
  const started = performance.now();
  const { rule } = active;
  const root = active.isFile ? posix.dirname(active.real) : active.real;
  const selection = await selectPaths({ root }, paths, deps.linkInside);
  if (selection.refused.length > 0) {
    const shown = selection.refused.slice(0, 5).join(", ");
    deps.output(active.key, active.container, `[sync] not followed (a link, or below one): ${shown}`);
  }
  if (selection.send.length + selection.remove.length === 0) return undefined;
  const record = (files: number, bytes: number, error?: string): SyncRecord => ({
    container: active.container,
    path: rule.path,
    action: rule.action,
    time: new Date().toISOString(),
    files,
    bytes,
    durationMs: Math.round(performance.now() - started),
    ...(error !== undefined ? { error } : {}),
  });
  const files = selection.files + selection.remove.length;
  try {
    if (rule.action === "rebuild") {
      deps.rebuild(active.key);
      return record(files, selection.bytes);
    }
    if (rule.target !== undefined && rule.action !== "restart") {
      await copyInto(active, root, rule.target, selection, deps, signal);
    }
    if (rule.action === "sync+restart" || rule.action === "restart") {
      await deps.docker.restartContainer(active.containerID, {
        signal,
        timeoutSeconds: deps.stopTimeoutSeconds,
      });
    } else if (rule.action === "sync+exec" && rule.exec) {
      await runCommand(active, rule.exec.command, deps, signal);
    }
    return record(files, selection.bytes);
  } catch (err) {
    if (signal.aborted) throw err;
    return record(files, selection.bytes, (err as Error).message);
  }
}

/** Copies the selection into the container and deletes what is gone. */
async function copyInto(
  active: ActiveRule,
  root: string,
  target: string,
  selection: SyncSelection,
  deps: ApplyDeps,
  signal: AbortSignal,
): Promise<void> {
  const place = syncPlace(root, target, active.isFile ? posix.basename(active.real) : undefined);
  if (selection.send.length > 0) {
    await deps.docker.putArchive(active.containerID, "/", syncArchive(place, selection.send), { signal });
  }
  if (selection.remove.length > 0) {
    const gone = selection.remove.map((rel) => place.containerPath(rel));
    await runCommand(active, ["rm", "-rf", "--", ...gone], deps, signal, true);
  }
}

/** Runs `command` in the container and waits for it; rejects when it exits non-zero or times out. */
async function runCommand(
  active: ActiveRule,
  command: readonly string[],
  deps: ApplyDeps,
  signal: AbortSignal,
  quiet = false,
): Promise<void> {
  const bounded = AbortSignal.any([signal, AbortSignal.timeout(EXEC_TIMEOUT_MS)]);
  const call = { signal: bounded };
  const id = await deps.docker.createExec(active.containerID, { command }, call);
  const session = await deps.docker.startExec(id, { ...call, tty: false, stdin: false });
  const lines: string[] = [];
  let partial = "";
  try {
    for await (const chunk of session.output()) {
      const parts = (partial + chunk.data.toString("utf8")).split("\n");
      partial = parts.pop() ?? "";
      for (const l of parts) if (lines.length < EXEC_LINES) lines.push(l);
    }
  } finally {
    session.close();
  }
  if (partial !== "" && lines.length < EXEC_LINES) lines.push(partial);
  if (!quiet) for (const l of lines) deps.output(active.key, active.container, `[sync] ${l}`);
  bounded.throwIfAborted();
  let code: number | undefined;
  for (let attempt = 0; attempt < 20; attempt++) {
    const state = await deps.docker.inspectExec(id, call);
    code = state.exitCode;
    if (!state.running) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (code !== 0) {
    const last = lines.at(-1);
    const detail = last ? `: ${last}` : "";
    throw new Error(`${JSON.stringify(command.join(" "))} exited with code ${code ?? "unknown"}${detail}`);
  }
}
