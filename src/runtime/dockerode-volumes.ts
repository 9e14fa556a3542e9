/**
 * The volume operations of the dockerode client (split out of dockerode-client.ts to keep files
 * small). Non-streaming calls on the pooled connection, each bounded by the client timeout.
 */
import type { ContainerStreamDeps } from "./dockerode-container-streams.js";
import type { CallOptions } from "./client.js";
import { LABEL_MANAGED } from "./labels.js";
import type { DockerVolumes, VolumeCreateSpec, VolumeSummary } from "./volumes.js";

interface RawVolume {
  Name: string;
  Driver?: string;
  Labels?: Record<string, string> | null;
  Mountpoint?: string;
  CreatedAt?: string;
}

/** Builds the {@link DockerVolumes} operations; see there for their contracts. */
export function volumeOps(d: Pick<ContainerStreamDeps, "runner" | "base" | "api">): DockerVolumes {
  return {
    listVolumes(labelFilters: string[], opts?: CallOptions): Promise<VolumeSummary[]> {
      return d.runner.run({
        ...d.base("listVolumes", "volume", labelFilters.join(","), opts, true),
        run: async (signal) => {
          const filters = labelFilters.length ? { label: labelFilters } : {};
          const res = (await d.api.listVolumes({ filters, abortSignal: signal } as object)) as {
            Volumes?: RawVolume[] | null;
          };
          return (res.Volumes ?? []).map((v) => ({
            name: v.Name,
            driver: v.Driver ?? "local",
            labels: v.Labels ?? {},
            mountpoint: v.Mountpoint ?? "",
            createdAt: v.CreatedAt ?? "",
          }));
        },
      });
    },

    async createVolume(spec: VolumeCreateSpec, opts?: CallOptions): Promise<void> {
      await d.runner.run({
        ...d.base("createVolume", "volume", spec.name, opts, false),
        run: (signal) =>
          d.api.createVolume({
            Name: spec.name,
            Driver: "local",
            Labels: { ...spec.labels, [LABEL_MANAGED]: "true" },
            abortSignal: signal,
          } as object) as Promise<unknown>,
      });
    },

    async removeVolume(name: string, opts?: CallOptions): Promise<void> {
      await d.runner.run({
        ...d.base("removeVolume", "volume", name, opts, false),
        run: (signal) => d.api.getVolume(name).remove({ abortSignal: signal }) as Promise<unknown>,
      });
    },
  };
}
