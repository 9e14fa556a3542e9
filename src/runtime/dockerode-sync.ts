/**
 * The sync operations of the dockerode client (split out of dockerode-client.ts to keep files
 * small), on the pooled connection.
 */
import type { Readable } from "node:stream";
import type { CallOptions } from "./client.js";
import type { ContainerStreamDeps } from "./dockerode-container-streams.js";
import type { DockerSync } from "./sync.js";

/** Builds the {@link DockerSync} operations; see there for their contracts. */
export function syncOps(d: Pick<ContainerStreamDeps, "runner" | "base" | "api">): DockerSync {
  return {
    async putArchive(container: string, path: string, tar: Readable, opts?: CallOptions): Promise<void> {
      try {
        await d.runner.run({
          ...d.base("putArchive", "container", container, opts, false),
          run: (signal) =>
            d.api.getContainer(container).putArchive(tar, { path, abortSignal: signal }) as Promise<unknown>,
        });
      } finally {
        tar.destroy();
      }
    },

    async restartContainer(container: string, opts?: CallOptions & { timeoutSeconds?: number }) {
      const t = opts?.timeoutSeconds ?? 10;
      const spec = d.base("restartContainer", "container", container, opts, false);
      await d.runner.run({
        ...spec,
        timeoutMs: (spec.timeoutMs ?? 30_000) + t * 1000,
        run: (signal) =>
          d.api.getContainer(container).restart({ t, abortSignal: signal }) as Promise<unknown>,
      });
    },
  };
}
