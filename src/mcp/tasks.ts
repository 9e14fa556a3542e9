/**
 * MCP tasks for Berth's long waits, in both protocol generations, over one {@link TaskStore}:
 *
 * - 2026-07-28: the Tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663). A client that
 *   declares the extension in a request's client capabilities may get a `CreateTaskResult`
 *   (`resultType: "task"`) instead of the tool result; Berth makes one only when the call reaches
 *   its wait for convergence. The client polls `tasks/get` (the result or error is inlined once
 *   terminal), cancels with `tasks/cancel`; `tasks/update` is acknowledged (Berth's tasks never
 *   ask for input). There is no `tasks/list` or `tasks/result` on this revision.
 * - 2025-11-25: the experimental core tasks. The client asks with `task: {ttl}` on tools/call of
 *   a tool listed with `execution.taskSupport: "optional"`; `tasks/get`, `tasks/result` (blocks
 *   until the task is terminal), `tasks/list` and `tasks/cancel`; a session also hears
 *   `notifications/tasks/status` when one of its tasks ends.
 *
 * Tasks belong to the caller (the bearer token, narrowed by the access mode) that made them.
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
  RELATED_TASK_META_KEY,
  type CallToolResult,
  type ClientCapabilities,
  type McpServer,
  type ServerCapabilities,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import { TaskCursorError, type TaskSnapshot, type TaskStore } from "./task-store.js";

/** The extension's identifier on the 2026-07-28 protocol. */
export const TASKS_EXTENSION = "io.modelcontextprotocol/tasks";

/** Which protocol generation a server speaks. */
export type Era = "legacy" | "modern";

/** Tasks as one server sees them: the daemon's store, the caller's key and the era. */
export interface TaskScope {
  store: TaskStore;
  owner: string;
  era: Era;
  /** A 2025-era session's notifier of its tasks' ends; absent on the 2026-07-28 protocol. */
  notifier?: TaskNotifier;
}

/** The capabilities that advertise tasks on `era`. */
export function taskCapabilities(era: Era): ServerCapabilities {
  return era === "modern"
    ? { extensions: { [TASKS_EXTENSION]: {} } }
    : { tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } };
}

/**
 * Whether a tools/call lets the server answer with a task, and the lifetime asked for: on
 * 2026-07-28 the request declares the extension, on 2025-11-25 it carries `task`.
 */
export function taskAsked(
  era: Era,
  params: { task?: unknown },
  ctx: ServerContext,
): { ttlMs?: number } | undefined {
  if (era === "modern") return declaresExtension(ctx) ? {} : undefined;
  const task = params.task;
  if (task === null || typeof task !== "object") return undefined;
  const ttl = (task as { ttl?: unknown }).ttl;
  return typeof ttl === "number" && Number.isFinite(ttl) && ttl > 0 ? { ttlMs: ttl } : {};
}

function declaresExtension(ctx: ServerContext): boolean {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const caps = envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;
  return caps?.extensions?.[TASKS_EXTENSION] !== undefined;
}

/**
 * The answer to a tools/call that became a task. The SDK checks every tools/call result against
 * CallToolResult, so it carries an empty `content` besides the task fields (results are open
 * objects on both revisions).
 */
export function createTaskResult(era: Era, task: TaskSnapshot): CallToolResult {
  const out = era === "modern" ? { resultType: "task", ...modernTask(task) } : { task: legacyTask(task) };
  return { content: [], ...out } as CallToolResult;
}

/** The task fields of SEP-2663 (`ttlMs`, `pollIntervalMs`, ISO times). */
export function modernTask(t: TaskSnapshot): Record<string, unknown> {
  return {
    taskId: t.taskId,
    status: t.status,
    ...(t.statusMessage !== undefined ? { statusMessage: t.statusMessage } : {}),
    createdAt: new Date(t.createdAt).toISOString(),
    lastUpdatedAt: new Date(t.lastUpdatedAt).toISOString(),
    ttlMs: t.ttlMs,
    pollIntervalMs: t.pollIntervalMs,
  };
}

/** The DetailedTask of `tasks/get` (2026-07-28): the result or error inlined once terminal. */
export function detailedTask(t: TaskSnapshot): Record<string, unknown> {
  const base = modernTask(t);
  if (t.status === "completed" && t.outcome?.kind === "result") return { ...base, result: t.outcome.result };
  if (t.status === "failed" && t.outcome?.kind === "error") return { ...base, error: t.outcome.error };
  return base;
}

/**
 * The Task of 2025-11-25 (`ttl`, `pollInterval`). On that revision a tool result with
 * `isError: true` makes the task `failed`.
 */
export function legacyTask(t: TaskSnapshot): Record<string, unknown> {
  const toolError = t.outcome?.kind === "result" && t.outcome.result.isError === true;
  return {
    taskId: t.taskId,
    status: t.status === "completed" && toolError ? "failed" : t.status,
    ...(t.statusMessage !== undefined ? { statusMessage: t.statusMessage } : {}),
    createdAt: new Date(t.createdAt).toISOString(),
    lastUpdatedAt: new Date(t.lastUpdatedAt).toISOString(),
    ttl: t.ttlMs,
    pollInterval: t.pollIntervalMs,
  };
}

const taskParams = { params: z.looseObject({ taskId: z.string().min(1).max(200) }) };

function notFound(taskId: string): ProtocolError {
  return new ProtocolError(
    ProtocolErrorCode.InvalidParams,
    `Failed to retrieve task: no task ${JSON.stringify(taskId)} (it is unknown, expired, or was created by another caller)`,
  );
}

/** Registers the tasks methods of the scope's era on `server`. */
export function registerTaskMethods(server: McpServer, scope: TaskScope): void {
  if (scope.era === "modern") registerModern(server, scope);
  else registerLegacy(server, scope);
}

function registerModern(server: McpServer, { store, owner }: TaskScope): void {
  const gate = (ctx: ServerContext) => {
    if (!declaresExtension(ctx)) {
      throw new MissingRequiredClientCapabilityError(
        { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
        `tasks/* needs the ${TASKS_EXTENSION} extension in the request's client capabilities`,
      );
    }
  };
  const low = server.server;
  low.setRequestHandler("tasks/get", taskParams, (p, ctx) => {
    gate(ctx);
    const t = store.get(owner, p.taskId);
    if (!t) throw notFound(p.taskId);
    return detailedTask(t);
  });
  // the SDK lifts `inputResponses` into the request context; Berth's tasks never ask for input,
  // so every response is to a key that is not outstanding, and is ignored
  low.setRequestHandler("tasks/update", taskParams, (p, ctx) => {
    gate(ctx);
    if (!store.get(owner, p.taskId)) throw notFound(p.taskId);
    return {};
  });
  low.setRequestHandler("tasks/cancel", taskParams, (p, ctx) => {
    gate(ctx);
    // cancelling a finished task is acknowledged too: only an unknown id is an error
    if (store.cancel(owner, p.taskId) === "unknown") throw notFound(p.taskId);
    return {};
  });
}

function registerLegacy(server: McpServer, { store, owner }: TaskScope): void {
  const low = server.server;
  low.setRequestHandler("tasks/get", taskParams, (p) => {
    const t = store.get(owner, p.taskId);
    if (!t) throw notFound(p.taskId);
    return legacyTask(t);
  });
  low.setRequestHandler("tasks/result", taskParams, async (p, ctx) => {
    const t = await store.settled(owner, p.taskId, ctx.mcpReq.signal);
    if (!t) throw notFound(p.taskId);
    const related = { [RELATED_TASK_META_KEY]: { taskId: t.taskId } };
    if (t.outcome?.kind === "result") {
      return { ...t.outcome.result, _meta: { ...t.outcome.result._meta, ...related } };
    }
    if (t.outcome?.kind === "error") {
      throw new ProtocolError(t.outcome.error.code, t.outcome.error.message, t.outcome.error.data);
    }
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `task ${t.taskId} was ${t.status === "cancelled" ? `cancelled (${t.statusMessage ?? "by request"})` : "not finished"}; it has no result. A desired-state write it made before its wait stays saved`,
    );
  });
  low.setRequestHandler("tasks/list", { params: z.looseObject({ cursor: z.string().optional() }) }, (p) => {
    try {
      const page = store.list(owner, p.cursor);
      return { tasks: page.tasks.map(legacyTask), ...(page.next ? { nextCursor: page.next } : {}) };
    } catch (err) {
      if (err instanceof TaskCursorError)
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, err.message);
      throw err;
    }
  });
  low.setRequestHandler("tasks/cancel", taskParams, (p) => {
    const outcome = store.cancel(owner, p.taskId);
    if (outcome === "unknown") throw notFound(p.taskId);
    const t = store.get(owner, p.taskId);
    if (outcome === "terminal" || !t) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `Cannot cancel task: already in terminal status '${t ? String(legacyTask(t)["status"]) : "expired"}'`,
      );
    }
    return legacyTask(t);
  });
}

/**
 * Sends `notifications/tasks/status` on a 2025-era session when one of the tasks it created ends
 * (completed, failed or cancelled). It listens to the store only while such a task is working.
 */
export class TaskNotifier {
  private readonly watched = new Set<string>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly server: McpServer,
    private readonly store: TaskStore,
  ) {}

  /** Notifies the session when the task `taskId` ends. */
  watch(taskId: string): void {
    this.watched.add(taskId);
    this.unsubscribe ??= this.store.subscribe((t) => this.changed(t));
  }

  private changed(t: TaskSnapshot): void {
    if (!this.watched.has(t.taskId) || t.status === "working") return;
    this.watched.delete(t.taskId);
    if (this.watched.size === 0) {
      this.unsubscribe?.();
      this.unsubscribe = undefined;
    }
    if (!this.server.isConnected()) return;
    // a 2025-11-25 notification the SDK's typed surface does not name; the wire schemas know it
    const notification = { method: "notifications/tasks/status", params: legacyTask(t) };
    void this.server.server
      .notification(notification as unknown as Parameters<McpServer["server"]["notification"]>[0])
      .catch(() => undefined);
  }
}
