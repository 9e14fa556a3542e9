/**
 * The checks every request and upgrade passes before routing, against a hostile web page in the
 * user's browser:
 * - Host must name this server (DNS rebinding: a page whose name resolves to 127.0.0.1 sends its
 *   own name as Host);
 * - a state-changing request or an upgrade must not come from another site or origin (Origin,
 *   Sec-Fetch-Site), which also stops cross-site WebSockets;
 * - a request body must be JSON or YAML, media types a browser cannot send cross-site without a
 *   CORS preflight, which Berth never grants.
 * Pure apart from reading the host's interface addresses once, in the constructor.
 */
import type { IncomingHttpHeaders } from "node:http";
import { hostname, networkInterfaces } from "node:os";
import { isLoopbackHost } from "./auth.js";
import { HttpError } from "./errors.js";

/** Options of {@link RequestGuard}, from the operator's flags. */
export interface GuardOptions {
  /** The address the server binds (`127.0.0.1`, `0.0.0.0`, `::`, a host name, ...). */
  bindHost: string;
  /**
   * More names requests may use as Host (`--allowed-host`): exact names, or `.example.com` for the
   * name and all its subdomains.
   */
  allowedHosts: readonly string[];
}

/** Bind addresses that mean "every interface". */
const WILDCARD = new Set(["0.0.0.0", "::", ""]);

/** Methods that change nothing; everything else counts as a write. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Media types a write body may have (a browser needs a preflight to send any of them cross-site). */
const BODY_TYPES = new Set([
  "application/json",
  "application/merge-patch+json",
  "application/yaml",
  "application/x-yaml",
  "text/yaml",
  "text/x-yaml",
]);

/** The host name of a `Host` header value (`name:port`, `[v6]:port`), lower-cased. Pure. */
export function hostName(hostHeader: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader);
  if (v6) return (v6[1] ?? "").toLowerCase();
  return hostHeader.replace(/:\d+$/, "").replace(/\.$/, "").toLowerCase();
}

/** Whether `method` changes state (anything but GET, HEAD and OPTIONS). Pure. */
export function isWrite(method: string | undefined): boolean {
  return !SAFE_METHODS.has((method ?? "GET").toUpperCase());
}

/** Checks Host, the request's site and its body's media type; one per server. */
export class RequestGuard {
  private readonly exact = new Set<string>();
  private readonly suffixes: string[] = [];
  private readonly described: string;

  constructor(options: GuardOptions) {
    const bind = options.bindHost.replace(/^\[|\]$/g, "").toLowerCase();
    if (!WILDCARD.has(bind)) this.exact.add(bind);
    else {
      // Bound to every interface: the host's own addresses and name are its names too.
      for (const list of Object.values(networkInterfaces()))
        for (const a of list ?? []) this.exact.add(a.address.toLowerCase());
      this.exact.add(hostname().toLowerCase());
    }
    for (const raw of options.allowedHosts) {
      const name = raw.trim().toLowerCase().replace(/\.$/, "");
      if (name.startsWith(".")) this.suffixes.push(name);
      else if (name !== "") this.exact.add(hostName(name));
    }
    const named = [...options.allowedHosts, ...(WILDCARD.has(bind) ? ["this host's addresses"] : [bind])];
    this.described = ["loopback (127.0.0.1, ::1, localhost)", ...new Set(named)].join(", ");
  }

  /** Whether a Host name is this server's. Pure. */
  allowsHostName(name: string): boolean {
    if (isLoopbackHost(name) || this.exact.has(name)) return true;
    return this.suffixes.some((s) => name === s.slice(1) || name.endsWith(s));
  }

  /**
   * Checks a request or upgrade; throws HttpError 403 (Host, site) or 415 (body type) with a
   * message naming the header and what to do.
   */
  check(method: string | undefined, headers: IncomingHttpHeaders, upgrade: boolean): void {
    const host = first(headers.host);
    if (!host || !this.allowsHostName(hostName(host))) {
      throw new HttpError(
        403,
        "ForbiddenHost",
        `refusing Host ${JSON.stringify(host ?? "")}: this Berth answers only to ${this.described}`,
        host
          ? `if you reach Berth by the name ${hostName(host)}, start it with --allowed-host ${hostName(host)}`
          : "send a Host header",
      );
    }
    if (upgrade || isWrite(method)) this.checkSite(host, headers);
    if (!upgrade && isWrite(method)) checkBodyType(headers);
  }

  /**
   * A write or upgrade must come from this origin or from no browser page at all: Sec-Fetch-Site
   * other than same-origin or none, or an Origin other than this server's, is refused.
   */
  private checkSite(host: string, headers: IncomingHttpHeaders): void {
    const site = first(headers["sec-fetch-site"])?.toLowerCase();
    if (site !== undefined && site !== "same-origin" && site !== "none") {
      throw crossSite(`Sec-Fetch-Site: ${site}`);
    }
    const origin = first(headers.origin);
    if (origin === undefined) return;
    if (!sameOrigin(origin, host)) throw crossSite(`Origin ${JSON.stringify(origin)}`);
  }
}

/** Whether `origin` is `http(s)://<host>` exactly (scheme, name and port). Pure. */
function sameOrigin(origin: string, host: string): boolean {
  if (!URL.canParse(origin)) return false;
  const url = new URL(origin);
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  const defaultPort = url.protocol === "https:" ? "443" : "80";
  const withPort = (h: string) => (/:\d+$/.test(h) && !/^\[[^\]]*\]$/.test(h) ? h : `${h}:${defaultPort}`);
  return withPort(url.host.toLowerCase()) === withPort(host.toLowerCase());
}

function crossSite(what: string): HttpError {
  return new HttpError(
    403,
    "CrossSite",
    `refusing a cross-site request (${what}): Berth accepts writes and WebSockets only from its own pages`,
    "use the dashboard Berth serves, the berth CLI, or an HTTP client that sends no Origin",
  );
}

/** A write with a body must declare a JSON or YAML media type; throws HttpError 415 otherwise. */
function checkBodyType(headers: IncomingHttpHeaders): void {
  const length = Number(first(headers["content-length"]) ?? "0");
  const hasBody = headers["transfer-encoding"] !== undefined || (Number.isFinite(length) && length > 0);
  const type = first(headers["content-type"])?.split(";")[0]?.trim().toLowerCase();
  if (type === undefined ? !hasBody : BODY_TYPES.has(type)) return;
  throw new HttpError(
    415,
    "UnsupportedMediaType",
    `refusing a request body of type ${JSON.stringify(type ?? "")}: writes take application/json or application/yaml`,
    "send Content-Type: application/json (or application/yaml for spec documents)",
  );
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
