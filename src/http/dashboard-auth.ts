/**
 * How a browser sends the bearer token on a WebSocket: browsers cannot set `Authorization` on an
 * upgrade request, so the token travels as a subprotocol,
 * `Sec-WebSocket-Protocol: berth, base64url.bearer.berth.dev.<base64url(token)>`. The server
 * answers with the first offered protocol (`berth`), never echoing the token.
 */

/** Prefix of the subprotocol that carries the token. */
export const WS_BEARER_PROTOCOL_PREFIX = "base64url.bearer.berth.dev.";
/** The subprotocol a client offers first, which the server selects. */
export const WS_PROTOCOL = "berth";

/**
 * The `Authorization` header value equivalent to the token in a `Sec-WebSocket-Protocol` header,
 * or undefined when there is none. Pure.
 */
export function bearerFromWebSocketProtocol(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(",")) {
    const p = part.trim();
    if (!p.startsWith(WS_BEARER_PROTOCOL_PREFIX)) continue;
    const encoded = p.slice(WS_BEARER_PROTOCOL_PREFIX.length);
    if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
    return `Bearer ${Buffer.from(encoded, "base64url").toString("utf8")}`;
  }
  return undefined;
}
