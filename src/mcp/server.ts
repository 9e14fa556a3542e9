/**
 * The Berth MCP server: one McpServer (SDK v2) with the tools of tools/, the project resources
 * and the debug prompt, made fresh for each serving unit (an HTTP request of the 2026-07-28
 * protocol, an HTTP session of a 2025-era client, a stdio connection). The tools/call handler is
 * Berth's own (call.ts) so that the two error channels stay apart.
 */
import { McpServer, type CacheHint, type Tool as ListedTool } from "@modelcontextprotocol/server";
import { FULL_ACCESS, refusal, type McpAccess } from "./access.js";
import { handleToolCall, type McpServerDeps } from "./call.js";
import { registerPrompts } from "./prompts.js";
import { registerLegacySubscriptions } from "./resource-events.js";
import { registerResources } from "./resources.js";
import { registerTaskMethods, taskCapabilities, TaskNotifier, type Era, type TaskScope } from "./tasks.js";
import type { AnyTool } from "./tool.js";
import { listedTool } from "./tool-list.js";
import { TOOLS } from "./tools/index.js";

export { MAX_INPUT_BYTES, type McpServerDeps } from "./call.js";

const INSTRUCTIONS =
  "Berth runs projects (containers with published host ports) on this host from declarative Project specs. " +
  "Tools edit the desired state; Berth's reconciler then creates, replaces or removes containers. A write returns " +
  "once the spec is saved: use wait_for_project (or wait: true) to wait until it is Ready, get_project for status " +
  "and ports, diagnose_project for why one is not healthy, get_logs for output. Pass the resourceVersion you read " +
  "to writes to detect concurrent changes.";

/**
 * Cache hints of the 2026-07-28 cacheable results: the tool, prompt and template lists change only
 * with a new Berth version; the project list and reads follow the reconciler, so they are fresh
 * for a second and private to the caller (they carry its projects).
 */
const STATIC: CacheHint = { ttlMs: 300_000, cacheScope: "public" };
const LIVE: CacheHint = { ttlMs: 1_000, cacheScope: "private" };
export const CACHE_HINTS = {
  "server/discover": STATIC,
  "tools/list": STATIC,
  "prompts/list": STATIC,
  "resources/templates/list": STATIC,
  "resources/list": LIVE,
  "resources/read": LIVE,
} as const;

/** Listed definitions per access mode: the schemas are converted once, not per request. */
const listings = new WeakMap<McpAccess, { listed: ListedTool[]; all: Map<string, AnyTool> }>();

/** The tools a server in this access mode lists, with unknown argument names refused. */
export function toolsFor(access: McpAccess): { listed: ListedTool[]; all: Map<string, AnyTool> } {
  const known = listings.get(access);
  if (known) return known;
  const all = new Map<string, AnyTool>();
  const listed: ListedTool[] = [];
  for (const t of TOOLS) {
    // unknown argument names are malformed calls, and the listed schemas say so
    const tool = { ...t, input: t.input.strict() };
    all.set(tool.name, tool);
    if (refusal(tool, access) === undefined) listed.push(listedTool(tool));
  }
  const made = { listed, all };
  listings.set(access, made);
  return made;
}

/**
 * A new MCP server with the Berth tools of its access mode, for the protocol era it will serve
 * (2025-era servers also answer resources/subscribe); connect it to exactly one transport.
 */
export function createMcpServer(deps: McpServerDeps, era: Era = "legacy"): McpServer {
  const access = deps.access ?? FULL_ACCESS;
  const server = new McpServer(
    { name: "berth", title: "Berth", version: deps.version },
    {
      // the tool and prompt lists never change while a server runs; the resource list does
      capabilities: {
        tools: { listChanged: false },
        resources: { listChanged: true },
        prompts: { listChanged: false },
      },
      instructions: INSTRUCTIONS,
      cacheHints: CACHE_HINTS,
    },
  );
  // the SDK registers resources with listChanged only; it replaces the capability object whole
  server.server.registerCapabilities({ resources: { listChanged: true, subscribe: true } });
  const tasks = taskScope(server, deps, access, era);
  if (tasks) {
    server.server.registerCapabilities(taskCapabilities(era));
    registerTaskMethods(server, tasks);
  }
  const { listed, all } = toolsFor(access);
  server.server.setRequestHandler("tools/list", () => ({ tools: listed }));
  server.server.setRequestHandler("tools/call", (request, ctx) =>
    handleToolCall({ deps, access, tools: all, server, ...(tasks ? { tasks } : {}) }, request.params, ctx),
  );
  registerResources(server, deps.backend);
  if (era === "legacy") registerLegacySubscriptions(server, deps.backend);
  registerPrompts(server);
  return server;
}

/**
 * The tasks of one server: the caller's key narrowed by the access mode, so a read-only view of
 * the same token neither sees nor cancels the tasks of a full one.
 */
function taskScope(
  server: McpServer,
  deps: McpServerDeps,
  access: McpAccess,
  era: Era,
): TaskScope | undefined {
  const store = deps.tasks;
  if (!store) return undefined;
  const mode = `${access.readOnly ? "ro" : "rw"}:${[...access.toolsets].sort().join(",")}`;
  const owner = `${deps.caller ?? "local"}|${mode}`;
  return { store, owner, era, ...(era === "legacy" ? { notifier: new TaskNotifier(server, store) } : {}) };
}
