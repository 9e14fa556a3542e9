/**
 * The image operations of the dockerode client (split out of dockerode-client.ts to
 * keep files small). All are short calls on the pooled connection, bounded by the client timeout.
 */
import type { CallOptions } from "./client.js";
import type { ContainerStreamDeps } from "./dockerode-container-streams.js";
import { dial, statusOf } from "./dockerode-util.js";
import { DockerError, ImagePullError } from "./errors.js";
import type { DockerImages, ImageSummary } from "./images.js";

/** Builds the {@link DockerImages} operations; see there for their contracts. */
export function imageOps(d: ContainerStreamDeps & { endpoint: string }): DockerImages {
  return {
    async tagImage(id: string, repo: string, tag: string, opts?: CallOptions) {
      await d.runner.run({
        ...d.base("tagImage", "image", id, opts, false),
        run: (signal) => d.api.getImage(id).tag({ repo, tag, abortSignal: signal }) as Promise<unknown>,
      });
    },

    listImages(labelFilters: string[], opts?: CallOptions) {
      return d.runner.run({
        ...d.base("listImages", "image", labelFilters.join(","), opts, true),
        run: async (signal) => {
          const filters = labelFilters.length ? { filters: { label: labelFilters } } : {};
          const list = await d.api.listImages({ ...filters, abortSignal: signal });
          return list.map((i): ImageSummary => ({
            id: i.Id,
            repoTags: (i.RepoTags ?? []).filter((t) => t !== "<none>:<none>"),
            labels: i.Labels ?? {},
            created: i.Created,
            size: i.Size,
          }));
        },
      });
    },

    async removeImage(id: string, opts?: CallOptions & { force?: boolean }) {
      await d.runner.run({
        ...d.base("removeImage", "image", id, opts, false),
        run: (signal) =>
          d.api.getImage(id).remove({ force: opts?.force ?? false, abortSignal: signal }) as Promise<unknown>,
      });
    },

    localRepoDigests(ref: string, opts?: CallOptions) {
      return d.runner.run({
        ...d.base("inspectImage", "image", ref, opts, true),
        run: async (signal) => {
          const info = await dial<{ RepoDigests?: string[] }>(d.api, {
            path: `/images/${ref}/json`,
            method: "GET",
            statusCodes: { 200: true, 404: "no such image", 500: "server error" },
            abortSignal: signal,
          });
          return info.RepoDigests ?? [];
        },
        recover: (err) => (err.statusCode === 404 ? { value: [] } : undefined),
      });
    },

    registryDigest(ref: string, opts?: CallOptions) {
      return d.runner.run({
        ...d.base("inspectImage", "image", ref, opts, true),
        run: async (signal) => {
          const info = await dial<{ Descriptor?: { digest?: string } }>(d.api, {
            path: `/distribution/${ref}/json`,
            method: "GET",
            statusCodes: {
              200: true,
              401: "unauthorized",
              403: "forbidden",
              404: "not found",
              500: "server error",
            },
            abortSignal: signal,
          });
          const digest = info.Descriptor?.digest;
          if (!digest) throw new Error(`the registry answered for ${ref} without a digest`);
          return digest;
        },
        refine: (err) =>
          err.constructor === DockerError || err.statusCode !== undefined
            ? new ImagePullError(ref, {
                op: "registryDigest",
                endpoint: d.endpoint,
                ...statusOf(err),
                cause: err,
              })
            : err,
      });
    },
  };
}
