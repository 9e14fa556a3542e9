/**
 * MCP resources: `berth://projects/{namespace}/{name}` (a project's status, JSON) and
 * `berth://projects/{namespace}/{name}/logs` (its recent log lines, text). Both are listed (one of
 * each per project) and readable; {@link resourceUris} names the URIs whose content a status change
 * of a project changes, for `notifications/resources/updated`.
 */
import { ResourceNotFoundError, ResourceTemplate, type McpServer } from "@modelcontextprotocol/server";
import type { McpBackend } from "./backend.js";
import { describeStatus } from "../service/view.js";
import { ProjectNotFoundError, keyOf } from "../api/index.js";

/** Lines a logs resource holds. */
export const RESOURCE_LOG_LINES = 200;

/** The status and logs URIs of a project. */
export function resourceUris(namespace: string, name: string): { status: string; logs: string } {
  const base = `berth://projects/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  return { status: base, logs: `${base}/logs` };
}

/** The URIs of a project key `namespace/name`. */
export function resourceUrisOfKey(key: string): { status: string; logs: string } {
  const at = key.indexOf("/");
  return resourceUris(key.slice(0, at), key.slice(at + 1));
}

function one(v: string | string[] | undefined): string {
  return decodeURIComponent(Array.isArray(v) ? (v[0] ?? "") : (v ?? ""));
}

function viewOf(backend: McpBackend, uri: URL, vars: Record<string, string | string[]>) {
  try {
    return backend.service.get(one(vars["namespace"]), one(vars["name"]));
  } catch (err) {
    if (err instanceof ProjectNotFoundError) {
      throw new ResourceNotFoundError(uri.href, `no project ${err.key}; resources/list shows the projects`);
    }
    throw err;
  }
}

/** Registers the two resource templates on a server. */
export function registerResources(server: McpServer, backend: McpBackend): void {
  server.registerResource(
    "project",
    new ResourceTemplate("berth://projects/{namespace}/{name}", {
      list: () => ({
        resources: backend.service.list().map((v) => ({
          uri: resourceUris(v.namespace, v.name).status,
          name: keyOf(v.namespace, v.name),
          description: `status of ${keyOf(v.namespace, v.name)}: ${v.status.phase ?? "Pending"}`,
          mimeType: "application/json",
        })),
      }),
    }),
    {
      title: "Project status",
      description: "A project's phase, conditions, containers (state, exit code, health) and ports, as JSON",
      mimeType: "application/json",
    },
    (uri, vars) => {
      const v = viewOf(backend, uri, vars);
      const body = {
        namespace: v.namespace,
        name: v.name,
        summary: describeStatus(v.status),
        resourceVersion: v.hash,
        generation: v.generation,
        labels: v.labels,
        state: v.spec.state,
        status: v.status,
      };
      return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(body) }] };
    },
  );
  server.registerResource(
    "project-logs",
    new ResourceTemplate("berth://projects/{namespace}/{name}/logs", {
      list: () => ({
        resources: backend.service.list().map((v) => ({
          uri: resourceUris(v.namespace, v.name).logs,
          name: `${keyOf(v.namespace, v.name)} logs`,
          description: `the last ${RESOURCE_LOG_LINES} log lines of ${keyOf(v.namespace, v.name)}`,
          mimeType: "text/plain",
        })),
      }),
    }),
    {
      title: "Project logs",
      description: `The last ${RESOURCE_LOG_LINES} log lines of a project's containers, oldest first`,
      mimeType: "text/plain",
    },
    (uri, vars) => {
      const v = viewOf(backend, uri, vars);
      const lines = backend.logs(keyOf(v.namespace, v.name), { tail: RESOURCE_LOG_LINES });
      const text = lines.map((l) => `${l.ts} ${l.container} ${l.stream}: ${l.line}`).join("\n");
      return { contents: [{ uri: uri.href, mimeType: "text/plain", text }] };
    },
  );
}
