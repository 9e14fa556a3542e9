/**
 * Running a command in a project's container (`docker exec`), for the REST API, MCP tools and the
 * CLI. {@link execInContainer} is the bounded, non-interactive form; {@link execTarget} finds the
 * container an interactive session attaches to.
 */
import type { DockerExec } from "../runtime/exec.js";
import type { ObservedContainer } from "../runtime/observed.js";
import { type DesiredReader, keyOf, ProjectNotFoundError, ServiceError } from "../api/index.js";

/** Default and largest time a bounded exec may run. */
export const EXEC_DEFAULT_TIMEOUT_MS = 30_000;
export const EXEC_MAX_TIMEOUT_MS = 600_000;
/** Default and largest output a bounded exec keeps (stdout and stderr together). */
export const EXEC_DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
export const EXEC_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** What exec needs; injected so tests can pass fakes. */
export interface ExecDeps {
  docker: DockerExec;
  /** The observed containers of a project (the Docker observer's cache, read-only). */
  observed: { byProject(key: string): readonly ObservedContainer[] };
  /** Whether the project exists in the desired state (for a clear "not found"). */
  desired: Pick<DesiredReader, "get">;
}

/** A command to run in `namespace/name`'s container `container`. */
export interface ExecRequest {
  namespace: string;
  name: string;
  /** The container's name in the spec (not the Docker name). */
  container: string;
  /** argv, not run through a shell: use `["sh", "-c", "..."]` for shell syntax. At least one element. */
  command: readonly string[];
  /** Deadline, default {@link EXEC_DEFAULT_TIMEOUT_MS}, at most {@link EXEC_MAX_TIMEOUT_MS}. */
  timeoutMs?: number | undefined;
  /** Output kept, default {@link EXEC_DEFAULT_MAX_OUTPUT_BYTES}, at most {@link EXEC_MAX_OUTPUT_BYTES}. */
  maxOutputBytes?: number | undefined;
  /** More `NAME=value` environment entries for the command. */
  env?: readonly string[] | undefined;
  workingDir?: string | undefined;
  user?: string | undefined;
  /** Aborting detaches and rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/** The outcome of a bounded exec. */
export interface ExecResult {
  /** The command's exit code; null when it timed out (it may still run) or Docker did not report one. */
  exitCode: number | null;
  /** stdout and stderr interleaved as they arrived, decoded as UTF-8, at most `maxOutputBytes` bytes. */
  output: string;
  /** True when the command printed more than `maxOutputBytes`: the rest was read and dropped. */
  truncated: boolean;
  /** True when the deadline passed before the command ended. */
  timedOut: boolean;
  /** Bytes the command printed in all, kept or not. */
  outputBytes: number;
  durationMs: number;
}

/** The project has no container of that name in its spec, or it has none in Docker yet. */
export class ContainerNotFoundError extends ServiceError {
  override readonly name = "ContainerNotFoundError";
  constructor(
    readonly key: string,
    readonly container: string,
    known: readonly string[],
  ) {
    const hint = known.length
      ? `its containers are: ${known.join(", ")}`
      : "it has no container yet; check it with `berth describe`";
    super("NotFound", `project ${key} has no container "${container}"; ${hint}`, hint);
  }
}

/** The container exists but is not running, so nothing can be executed in it. */
export class ContainerNotRunningError extends ServiceError {
  override readonly name = "ContainerNotRunningError";
  constructor(
    readonly key: string,
    readonly container: string,
    state: string,
  ) {
    const hint = "see why with `berth describe`; exec needs a running container";
    super("Conflict", `container "${container}" of project ${key} is ${state}, not running; ${hint}`, hint);
  }
}

/**
 * The Docker id of the running container `container` of `namespace/name`, from the observer's
 * cache (no Docker call). Throws ProjectNotFoundError, ContainerNotFoundError or
 * ContainerNotRunningError. Synchronous.
 */
export function execTarget(
  deps: Omit<ExecDeps, "docker">,
  namespace: string,
  name: string,
  container: string,
): string {
  const key = keyOf(namespace, name);
  const observed = deps.observed.byProject(key);
  if (!deps.desired.get(key) && observed.length === 0) throw new ProjectNotFoundError(key);
  const mine = observed.filter((c) => c.containerName === container);
  const live = mine.find((c) => c.running) ?? mine[0];
  if (!live) {
    const spec = deps.desired.get(key)?.project.spec.containers.map((c) => c.name) ?? [];
    const known = [...new Set([...spec, ...observed.flatMap((c) => c.containerName ?? [])])].sort();
    throw new ContainerNotFoundError(key, container, known);
  }
  if (!live.running) throw new ContainerNotRunningError(key, container, live.state);
  return live.id;
}

/** Checks the bounds of a request; throws BadRequest naming the field. Pure. */
export function execLimits(req: Pick<ExecRequest, "command" | "timeoutMs" | "maxOutputBytes">): {
  timeoutMs: number;
  maxOutputBytes: number;
} {
  if (req.command.length === 0 || req.command.some((a) => typeof a !== "string")) {
    throw new ServiceError(
      "BadRequest",
      'command must be a non-empty list of strings, e.g. ["sh", "-c", "ls /"]',
    );
  }
  const timeoutMs = req.timeoutMs ?? EXEC_DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > EXEC_MAX_TIMEOUT_MS) {
    throw new ServiceError(
      "BadRequest",
      `timeout ${timeoutMs} ms is out of range: use more than 0 and at most ${EXEC_MAX_TIMEOUT_MS / 1000} s`,
    );
  }
  const maxOutputBytes = req.maxOutputBytes ?? EXEC_DEFAULT_MAX_OUTPUT_BYTES;
  if (!Number.isInteger(maxOutputBytes) || maxOutputBytes < 0 || maxOutputBytes > EXEC_MAX_OUTPUT_BYTES) {
    throw new ServiceError(
      "BadRequest",
      `maxOutputBytes ${maxOutputBytes} is out of range: use a whole number from 0 to ${EXEC_MAX_OUTPUT_BYTES}`,
    );
  }
  return { timeoutMs, maxOutputBytes };
}

/**
 * Runs `req.command` in the container without a TTY or stdin and waits for it to end, at most
 * `timeoutMs`. Keeps the first `maxOutputBytes` of its output (stdout and stderr interleaved) and
 * reads and drops the rest, so the command never blocks on a full pipe and its exit code is known;
 * `truncated` says so. On timeout it detaches and returns `timedOut: true, exitCode: null`:
 * Docker has no way to kill an exec, so a command that ignores a closed output may keep running
 * in the container. Rejects with the errors of {@link execTarget}, BadRequest for bad limits, a
 * DockerError when Docker fails, or the abort reason. Not retried. Safe to call concurrently.
 */
export async function execInContainer(deps: ExecDeps, req: ExecRequest): Promise<ExecResult> {
  const { timeoutMs, maxOutputBytes } = execLimits(req);
  const id = execTarget(deps, req.namespace, req.name, req.container);
  const started = performance.now();
  const timer = AbortSignal.timeout(timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timer]) : timer;
  const call = { signal: req.signal };
  const execId = await deps.docker.createExec(
    id,
    {
      command: req.command,
      ...(req.env ? { env: req.env } : {}),
      ...(req.workingDir ? { workingDir: req.workingDir } : {}),
      ...(req.user ? { user: req.user } : {}),
    },
    call,
  );
  let session;
  try {
    session = await deps.docker.startExec(execId, { tty: false, stdin: false, signal });
  } catch (err) {
    if (!timer.aborted || req.signal?.aborted) throw err;
    return {
      exitCode: null,
      output: "",
      truncated: false,
      timedOut: true,
      outputBytes: 0,
      durationMs: timeoutMs,
    };
  }
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let outputBytes = 0;
  for await (const chunk of session.output()) {
    outputBytes += chunk.data.length;
    const room = maxOutputBytes - keptBytes;
    if (room > 0) {
      const piece = chunk.data.length <= room ? chunk.data : chunk.data.subarray(0, room);
      kept.push(Buffer.from(piece));
      keptBytes += piece.length;
    }
  }
  session.close();
  req.signal?.throwIfAborted();
  const timedOut = timer.aborted;
  const exitCode = timedOut ? null : await exitCodeOf(deps.docker, execId, call);
  return {
    exitCode,
    output: decodeKept(Buffer.concat(kept, keptBytes), outputBytes > keptBytes),
    truncated: outputBytes > keptBytes,
    timedOut,
    outputBytes,
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * The exit code of an ended exec. Its output can end a moment before Docker records the exit,
 * so a still-running answer is asked again a few times (at most ~1 s in all).
 */
export async function exitCodeOf(
  docker: Pick<DockerExec, "inspectExec">,
  execId: string,
  call: { signal?: AbortSignal | undefined },
): Promise<number | null> {
  for (let attempt = 0; ; attempt++) {
    const state = await docker.inspectExec(execId, call);
    if (!state.running || attempt >= 20) return state.exitCode ?? null;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** UTF-8 text of the kept bytes; a multi-byte character cut by truncation is dropped, not mangled. */
function decodeKept(bytes: Buffer, cut: boolean): string {
  if (!cut) return bytes.toString("utf8");
  let end = bytes.length;
  // back off over continuation bytes to the start of a possibly incomplete last character
  let i = end - 1;
  while (i >= 0 && i > end - 4 && ((bytes[i] ?? 0) & 0xc0) === 0x80) i--;
  if (i >= 0) {
    const lead = bytes[i] ?? 0;
    const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (end - i < need) end = i;
  }
  return bytes.subarray(0, end).toString("utf8");
}
