import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError } from "./errors.js";

/** What a handler gets: the request, the response, path parameters, the URL and an abort signal. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  url: URL;
  /** Aborts when the client goes away or the server shuts down. */
  signal: AbortSignal;
}

/** Handles one request; writes the response or throws (the server turns errors into responses). */
export type Handler = (ctx: RequestContext) => Promise<void> | void;

interface Route {
  method: string;
  pattern: string;
  segments: string[];
  handler: Handler;
}

/**
 * Maps method + path to handlers. Patterns are literal segments and `:name` parameters
 * (`/api/v1/projects/:namespace/:name`); parameters are URL-decoded and never contain `/`.
 * An unknown path is a 404, a known path with another method a 405 with `Allow`.
 */
export class Router {
  private readonly routes: Route[] = [];

  /** Registers a route; later registrations never shadow earlier ones. */
  on(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, pattern, segments: split(pattern), handler });
    return this;
  }

  /**
   * The pattern of the first route whose path matches (`/api/v1/projects/:namespace/:name`),
   * whatever its method; undefined for an unknown or malformed path. Never throws. For metric
   * labels, which must carry templates, never raw paths.
   */
  patternOf(pathname: string): string | undefined {
    const parts = split(pathname);
    for (const route of this.routes) {
      try {
        if (matchSegments(route.segments, parts)) return route.pattern;
      } catch {
        return undefined;
      }
    }
    return undefined;
  }

  /** Finds the handler for a request; throws HttpError 404/405/400. */
  match(method: string, pathname: string): { handler: Handler; params: Record<string, string> } {
    const parts = split(pathname);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === method || (method === "HEAD" && route.method === "GET")) {
        return { handler: route.handler, params };
      }
      allowed.push(route.method);
    }
    if (allowed.length > 0) {
      const allow = [...new Set(allowed)].join(", ");
      throw new HttpError(
        405,
        "MethodNotAllowed",
        `${method} is not allowed on ${pathname}; use ${allow}`,
        undefined,
        {
          allow,
        },
      );
    }
    throw new HttpError(
      404,
      "NotFound",
      `no such endpoint: ${pathname}`,
      "see GET /api/v1/info and the README for the API",
    );
  }
}

function split(path: string): string[] {
  return path.split("/").filter((s) => s !== "");
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, seg] of pattern.entries()) {
    const part = parts[i] ?? "";
    if (seg.startsWith(":")) {
      let value: string;
      try {
        value = decodeURIComponent(part);
      } catch {
        throw new HttpError(400, "BadRequest", `malformed URL segment "${part}"`);
      }
      if (value.includes("/")) return undefined;
      params[seg.slice(1)] = value;
    } else if (seg !== part) return undefined;
  }
  return params;
}
