/**
 * Named volumes over HTTP.
 * - `GET /api/v1/volumes`: `{items: [{name, project, volume, retain, createdAt, claimed, users}]}`.
 * - `POST /api/v1/projects/{ns}/{name}/volumes/{volume}/reset`: empties the volume (its users are
 *   removed and created again) and answers `{project, volume, dockerName, restarted}`. A write: it
 *   needs the token and passes the cross-site checks.
 */
import type { VolumeService } from "../service/volumes.js";
import { sendJson } from "./respond.js";
import type { Router } from "./router.js";
import { API_PREFIX } from "./wire.js";

/** The path of a volume's reset endpoint (the route pattern). */
export const VOLUME_RESET_ROUTE = `${API_PREFIX}/projects/:namespace/:name/volumes/:volume/reset`;

/** Registers the volume routes. */
export function registerVolumeRoutes(router: Router, volumes: VolumeService): void {
  router.on("GET", `${API_PREFIX}/volumes`, async ({ res, signal }) => {
    sendJson(res, 200, { items: await volumes.list(signal) });
  });
  router.on("POST", VOLUME_RESET_ROUTE, async ({ res, params, signal }) => {
    const result = await volumes.reset(
      params["namespace"] ?? "",
      params["name"] ?? "",
      params["volume"] ?? "",
      signal,
    );
    sendJson(res, 200, result);
  });
}
