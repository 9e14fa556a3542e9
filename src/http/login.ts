/**
 * How a browser logs in to the dashboard:
 * - `GET /login?code=C` redeems a one-time login code, sets the session cookie and redirects to
 *   `/`, so the code leaves the address bar at once;
 * - `POST /login` with `{"token": "..."}` (the dashboard's login dialog) exchanges the API token
 *   for the same cookie;
 * - `POST /logout` clears it;
 * - `POST /api/v1/login-links` (with the token) makes a new one-time URL, for `berth dashboard`.
 * The first two are open routes: they are how a credential arrives. The server's guard has
 * already refused cross-site writes and foreign Host headers.
 */
import type { ServerResponse } from "node:http";
import { tokenMatches, unauthorized } from "./auth.js";
import { readBody } from "./body.js";
import { HttpError } from "./errors.js";
import { sendJson } from "./respond.js";
import type { Router } from "./router.js";
import { LOGIN_CODE_TTL_MS, type Sessions } from "./session.js";
import { API_PREFIX } from "./wire.js";

/** Paths reachable without a credential (the login itself). */
export const LOGIN_PATHS: ReadonlySet<string> = new Set(["/login"]);

/** What the login routes need: the token, the sessions, and the URL the browser should open. */
export interface LoginDeps {
  token: string;
  sessions: Sessions;
  /** Base URL of this server as a browser reaches it, e.g. `http://127.0.0.1:7420`. */
  baseUrl: () => string;
}

/** A new one-time login URL of the dashboard. */
export function loginUrl(deps: LoginDeps): string {
  return `${deps.baseUrl()}/login?code=${deps.sessions.mintCode()}`;
}

/** Registers /login, /logout and /api/v1/login-links. */
export function registerLoginRoutes(router: Router, deps: LoginDeps): void {
  router
    .on("GET", "/login", ({ res, url }) => {
      const code = url.searchParams.get("code") ?? "";
      if (code === "" || !deps.sessions.redeem(code)) return loginRefused(res);
      res.writeHead(303, {
        location: "/",
        "set-cookie": deps.sessions.issue(),
        "cache-control": "no-store",
        "referrer-policy": "no-referrer",
      });
      res.end();
    })
    .on("POST", "/login", async ({ req, res }) => {
      const given = parseTokenBody(await readBody(req, 4096));
      if (!tokenMatches(given, deps.token)) throw unauthorized("the token is wrong");
      sendJson(
        res,
        200,
        { loggedIn: true },
        { "set-cookie": deps.sessions.issue(), "cache-control": "no-store" },
      );
    })
    .on("POST", "/logout", ({ res }) =>
      sendJson(res, 200, { loggedIn: false }, { "set-cookie": deps.sessions.clear() }),
    )
    .on("POST", `${API_PREFIX}/login-links`, ({ res }) =>
      sendJson(
        res,
        201,
        { url: loginUrl(deps), expiresInSeconds: LOGIN_CODE_TTL_MS / 1000 },
        { "cache-control": "no-store" },
      ),
    );
}

function parseTokenBody(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    body = undefined;
  }
  const token = (body as { token?: unknown } | undefined)?.token;
  if (typeof token !== "string" || token === "") {
    throw new HttpError(400, "BadRequest", 'the body must be JSON {"token": "..."}');
  }
  return token;
}

function loginRefused(res: ServerResponse): void {
  res.writeHead(401, {
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
  });
  res.end(
    "This login link is wrong, expired, or was used already (each link logs in once).\n" +
      "Run `berth dashboard` for a new one, or open / and paste the token from the state directory.\n",
  );
}
