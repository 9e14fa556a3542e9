/**
 * Change events of the project resources: a status change of a project updates its status and
 * logs resources; a project that appears or goes away changes the resource list.
 */
import type { McpServer } from "@modelcontextprotocol/server";
import type { McpBackend } from "./backend.js";
import { resourceUrisOfKey } from "./resources.js";

/** Where the events go. */
export interface ResourceEvents {
  updated(uri: string): void;
  listChanged(): void;
}

/** Follows the backend's status changes until the returned function is called. */
export function watchResources(backend: McpBackend, events: ResourceEvents): () => void {
  if (!backend.watch) return () => undefined;
  const known = new Set<string>();
  for (const v of backend.service.list()) known.add(`${v.namespace}/${v.name}`);
  return backend.watch((key) => {
    const at = key.indexOf("/");
    let exists = true;
    try {
      backend.service.get(key.slice(0, at), key.slice(at + 1));
    } catch {
      exists = false;
    }
    if (exists !== known.has(key)) {
      if (exists) known.add(key);
      else known.delete(key);
      events.listChanged();
    }
    const uris = resourceUrisOfKey(key);
    events.updated(uris.status);
    events.updated(uris.logs);
  });
}

/**
 * `resources/subscribe` and `resources/unsubscribe` for a server of a 2025-era connection: it
 * sends `notifications/resources/updated` for the URIs subscribed, until the connection closes.
 * (2026-07-28 clients subscribe on `subscriptions/listen` instead; the serving entry handles that.)
 */
export function registerLegacySubscriptions(server: McpServer, backend: McpBackend): void {
  const uris = new Set<string>();
  let stop: (() => void) | undefined;
  server.server.setRequestHandler("resources/subscribe", (request) => {
    uris.add(request.params.uri);
    stop ??= watchResources(backend, {
      updated: (uri) => {
        if (uris.has(uri)) void server.server.sendResourceUpdated({ uri }).catch(() => undefined);
      },
      listChanged: () => server.sendResourceListChanged(),
    });
    return {};
  });
  server.server.setRequestHandler("resources/unsubscribe", (request) => {
    uris.delete(request.params.uri);
    return {};
  });
  const previous = server.server.onclose;
  server.server.onclose = () => {
    stop?.();
    previous?.();
  };
}
