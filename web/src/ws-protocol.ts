/**
 * The WebSocket subprotocols that carry the bearer token, since a browser cannot set
 * Authorization on an upgrade (the server side is src/http/dashboard-auth.ts). Pure.
 */

/** `["berth", "base64url.bearer.berth.dev.<base64url(token)>"]`, or none without a token. */
export function socketProtocols(token: string | undefined): string[] {
  if (!token) return [];
  const bytes = new TextEncoder().encode(token);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  const b64url = btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return ["berth", `base64url.bearer.berth.dev.${b64url}`];
}
