/**
 * DNS-rebinding protection of the MCP endpoint: which Host and Origin headers a request may
 * carry. A page on another site that resolves its name to this host sends its own name as Host
 * and Origin; only loopback names, the address the server binds, and same-origin pages pass. Pure.
 */
import { isLoopbackHost } from "../http/auth.js";

/** Why a request was refused, or undefined when it may pass. */
export type OriginVerdict = undefined | { header: "host" | "origin"; value: string };

const WILDCARD = new Set(["0.0.0.0", "::", "[::]", ""]);

/** The host name of a `Host` header value (`name:port`, `[v6]:port`). */
export function hostName(hostHeader: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader);
  if (v6) return (v6[1] ?? "").toLowerCase();
  return hostHeader.replace(/:\d+$/, "").toLowerCase();
}

function allowedName(name: string, bindHost: string): boolean {
  const bind = bindHost.replace(/^\[|\]$/g, "").toLowerCase();
  return isLoopbackHost(name) || name === bind;
}

/**
 * Checks the Host and Origin of a request to a server bound to `bindHost`. Host must name
 * loopback or the bind address (any name when bound to all addresses, where the bearer token
 * guards instead). Origin, when present, must be loopback, the bind address, or the Host itself.
 */
export function checkOrigin(
  host: string | undefined,
  origin: string | undefined,
  bindHost: string,
): OriginVerdict {
  const wildcard = WILDCARD.has(bindHost);
  if (!host) return { header: "host", value: "" };
  const name = hostName(host);
  if (!wildcard && !allowedName(name, bindHost)) return { header: "host", value: host };
  if (origin === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return { header: "origin", value: origin };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { header: "origin", value: origin };
  const originName = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (url.host.toLowerCase() === host.toLowerCase()) return undefined;
  if (allowedName(originName, bindHost)) return undefined;
  return { header: "origin", value: origin };
}
