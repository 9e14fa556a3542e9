/**
 * The dashboard page: `GET /` (index.html) and `GET /assets/{file}` (its scripts and styles),
 * served from the front-end build in `web/dist` (`scripts/build-web.sh`, run by `npm start`,
 * `npm test` and `npm run build`). These paths need no token: they hold no data; the page sends
 * the token with every API call it makes.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { HttpError } from "./errors.js";
import type { Router } from "./router.js";
import { StaticFiles } from "./static.js";

/** Where the front-end build lives: `web/dist` at the package root (from src/http or dist/http). */
export const DASHBOARD_DIR = fileURLToPath(new URL("../../web/dist/", import.meta.url));

/** URL prefix of the dashboard's scripts and styles. */
export const ASSETS_PREFIX = "/assets/";

/** Whether `pathname` is a dashboard path, served without a token. Pure. */
export function isDashboardPath(pathname: string): boolean {
  return pathname === "/" || pathname === "/index.html" || pathname.startsWith(ASSETS_PREFIX);
}

/** Registers the dashboard routes on `router`; `dir` defaults to {@link DASHBOARD_DIR}. */
export function registerDashboardRoutes(router: Router, dir: string = DASHBOARD_DIR): void {
  const root = new StaticFiles(dir);
  const assets = new StaticFiles(join(dir, "assets"));
  const index: Parameters<Router["on"]>[2] = async ({ req, res }) => {
    if (!existsSync(join(dir, "index.html"))) {
      throw new HttpError(
        503,
        "DashboardNotBuilt",
        `the dashboard is not built (no ${join(dir, "index.html")})`,
        "run: bash scripts/build-web.sh (npm start and npm run build do it for you)",
      );
    }
    await root.serve(req, res, "index.html");
  };
  router
    .on("GET", "/", index)
    .on("GET", "/index.html", index)
    .on("GET", `${ASSETS_PREFIX}:file`, ({ req, res, params }) =>
      assets.serve(req, res, params["file"] ?? ""),
    );
}
