/**
 * A tools/call that runs as a task (tasks.ts): answered as usual until the tool starts waiting
 * for convergence, then with a task handle while the wait goes on in the daemon.
 */
import {
  isInputRequiredResult,
  ProtocolError,
  ProtocolErrorCode,
  type CallToolResult,
  type InputRequiredResult,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { TaskLimitError } from "./task-store.js";
import { createTaskResult, type TaskScope } from "./tasks.js";

/** How a call's metrics count it. */
export type Outcome = "ok" | "error" | "protocol_error";

/** How a call that may become a task changes its tool context: its signal, its wait, its progress. */
export interface TaskLink {
  signal: AbortSignal;
  waiting(): void;
  /** Takes a progress message once the call is a task; false before. */
  progress(message: string): boolean;
}

/** The metrics outcome of a result. */
export function outcomeOf(result: CallToolResult | InputRequiredResult): Outcome {
  return "isError" in result && result.isError ? "error" : "ok";
}

/**
 * A call the client lets run as a task. The task is reserved first (a full store answers the
 * 2026-07-28 call directly and refuses the 2025-era one, before anything is written); the call
 * then runs on the request until the tool starts waiting, and from then on in the daemon, its
 * progress becoming the task's status message and its signal the task's (tasks/cancel, expiry).
 * A call that ends before it waits is answered directly on 2026-07-28, and as a finished task on
 * 2025-11-25 (where the client asked for one).
 */
export async function runAsTask(
  tasks: TaskScope,
  ctx: ServerContext,
  ttlMs: number | undefined,
  done: (o: Outcome) => void,
  run: (link?: TaskLink) => Promise<CallToolResult | InputRequiredResult>,
): Promise<CallToolResult | InputRequiredResult> {
  const { store, owner, era } = tasks;
  let reserved;
  try {
    reserved = store.create(owner, ttlMs);
  } catch (err) {
    if (!(err instanceof TaskLimitError)) throw err;
    if (era === "legacy") {
      done("protocol_error");
      throw new ProtocolError(ProtocolErrorCode.InternalError, err.message);
    }
    const result = await run();
    done(outcomeOf(result));
    return result;
  }
  const taskId = reserved.task.taskId;
  const stop = new AbortController();
  const abort = () => stop.abort();
  reserved.signal.addEventListener("abort", abort, { once: true });
  ctx.mcpReq.signal.addEventListener("abort", abort, { once: true });
  let detached = false;
  let handOff: () => void = () => undefined;
  const handedOff = new Promise<"detached">((resolve) => (handOff = () => resolve("detached")));
  const running = run({
    signal: stop.signal,
    waiting: () => {
      if (detached) return;
      detached = true;
      ctx.mcpReq.signal.removeEventListener("abort", abort);
      handOff();
    },
    progress: (message) => {
      if (!detached) return false;
      store.progress(taskId, message);
      return true;
    },
  });
  const first = await Promise.race([running, handedOff]);
  if (first !== "detached") {
    ctx.mcpReq.signal.removeEventListener("abort", abort);
    done(outcomeOf(first));
    if (era === "modern" || isInputRequiredResult(first)) {
      store.discard(taskId);
      return first;
    }
    store.finish(taskId, { kind: "result", result: first }, summary(first));
    return createTaskResult(era, store.get(owner, taskId) ?? reserved.task);
  }
  tasks.notifier?.watch(taskId);
  void running.then(
    (result) => {
      done(outcomeOf(result));
      if (isInputRequiredResult(result)) {
        store.finish(taskId, {
          kind: "error",
          error: {
            code: ProtocolErrorCode.InternalError,
            message: "the tool asked for input after it started waiting",
          },
        });
      } else {
        store.finish(taskId, { kind: "result", result }, summary(result));
      }
    },
    (err: unknown) => {
      done("protocol_error");
      const message = err instanceof Error ? err.message : String(err);
      store.finish(
        taskId,
        { kind: "error", error: { code: ProtocolErrorCode.InternalError, message } },
        message,
      );
    },
  );
  return createTaskResult(era, store.get(owner, taskId) ?? reserved.task);
}

/** The first line of a result's text, as a finished task's status message. */
function summary(result: CallToolResult): string | undefined {
  const first = result.content[0];
  if (!first || first.type !== "text") return undefined;
  const line = first.text.split("\n", 1)[0] ?? "";
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
