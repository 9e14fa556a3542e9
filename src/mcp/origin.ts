/**
 * DNS-rebinding protection of the MCP endpoint, on top of the HTTP server's own guard: which Host
 * and Origin headers a request may carry. A page on another site that resolves its name to this
 * host sends its own name as Host and Origin; only this server's names (loopback, the bind
 * address, `--allowed-host`) and same-origin pages pass. Pure.
 */
import { hostName } from "../http/guard.js";

/** Why a request was refused, or undefined when it may pass. */
export type OriginVerdict = undefined | { header: "host" | "origin"; value: string };

/** Whether a host name is one of this server's (RequestGuard.allowsHostName). */
export type HostPolicy = (name: string) => boolean;

/**
 * Checks the Host and Origin of a request. Host must be one of the server's names. Origin, when
 * present, must be http(s) and name the Host itself or another of the server's names.
 */
export function checkOrigin(
  host: string | undefined,
  origin: string | undefined,
  allowsHost: HostPolicy,
): OriginVerdict {
  if (!host) return { header: "host", value: "" };
  if (!allowsHost(hostName(host))) return { header: "host", value: host };
  if (origin === undefined) return undefined;
  if (!URL.canParse(origin)) return { header: "origin", value: origin };
  const url = new URL(origin);
  if (url.protocol !== "http:" && url.protocol !== "https:") return { header: "origin", value: origin };
  if (url.host.toLowerCase() === host.toLowerCase()) return undefined;
  if (allowsHost(url.hostname.replace(/^\[|\]$/g, "").toLowerCase())) return undefined;
  return { header: "origin", value: origin };
}
