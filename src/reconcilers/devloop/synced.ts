/**
 * The real paths a container's watch rules copy into it (every rule but `rebuild`), for the build
 * digest to leave out: an edit the dev loop syncs, restarts or execs for must not also rebuild
 * the image and replace the container. A later build still sends those files.
 */
import type { PathResolver } from "../mounts.js";
import type { ContainerSpec } from "../../api/index.js";

/** Real paths of the non-rebuild watch rules of `spec`; a rule whose path is refused is left out. */
export async function syncedPaths(
  spec: ContainerSpec,
  specDir: string | undefined,
  paths: Pick<PathResolver, "resolve">,
): Promise<string[]> {
  const rules = (spec.develop?.watch ?? []).filter((r) => r.action !== "rebuild");
  const real = await Promise.all(
    rules.map((r, i) =>
      paths
        .resolve({ field: `develop.watch[${i}].path`, path: r.path, baseDir: specDir })
        .catch(() => undefined),
    ),
  );
  return real.filter((r): r is string => r !== undefined);
}
