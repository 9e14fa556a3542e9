import { describe, expect, it } from "vitest";
import { ConflictError, NotFoundError } from "../../../src/runtime/errors.js";
import type { DockerVolumes, VolumeCreateSpec, VolumeSummary } from "../../../src/runtime/volumes.js";
import { nopLogger } from "../../../src/util/logger.js";
import { Volumes } from "../../../src/reconcilers/volumes.js";

/** Docker volumes in memory, with the engine's semantics: create is idempotent, rm of a used one conflicts. */
class FakeVolumes implements DockerVolumes {
  readonly volumes = new Map<string, VolumeSummary>();
  readonly inUse = new Set<string>();
  creates = 0;

  listVolumes(labelFilters: string[]): Promise<VolumeSummary[]> {
    const pairs = labelFilters.map((f) => f.split("="));
    return Promise.resolve(
      [...this.volumes.values()].filter((v) => pairs.every(([k, val]) => v.labels[k ?? ""] === val)),
    );
  }
  createVolume(spec: VolumeCreateSpec): Promise<void> {
    this.creates++;
    if (!this.volumes.has(spec.name)) {
      const labels = { ...spec.labels, "berth.dev/managed": "true" };
      this.volumes.set(spec.name, {
        name: spec.name,
        driver: "local",
        labels,
        mountpoint: "",
        createdAt: "",
      });
    }
    return Promise.resolve();
  }
  removeVolume(name: string): Promise<void> {
    const fields = { op: "removeVolume", endpoint: "fake" };
    if (!this.volumes.has(name)) return Promise.reject(new NotFoundError("volume", name, fields));
    if (this.inUse.has(name))
      return Promise.reject(
        new ConflictError("volume", name, { ...fields, daemonMessage: "volume is in use" }),
      );
    this.volumes.delete(name);
    return Promise.resolve();
  }
}

describe("named volumes", () => {
  it("creates a volume once per process, named and labelled for the project", async () => {
    const docker = new FakeVolumes();
    const v = new Volumes(docker, nopLogger);
    await Promise.all([
      v.ensure("default/shop", { name: "pgdata", retain: "Keep" }, {}),
      v.ensure("default/shop", { name: "pgdata", retain: "Keep" }, {}),
    ]);
    await v.ensure("default/shop", { name: "pgdata", retain: "Keep" }, {});
    expect(docker.creates).toBe(1);
    expect(docker.volumes.get("berth-default-shop-pgdata")?.labels).toEqual({
      "berth.dev/managed": "true",
      "berth.dev/project": "default.shop",
      "berth.dev/volume": "pgdata",
      "berth.dev/retain": "Keep",
    });
    expect(await v.list({})).toEqual([
      {
        name: "berth-default-shop-pgdata",
        project: "default/shop",
        volume: "pgdata",
        retain: "Keep",
        createdAt: "",
      },
    ]);
  });

  it("removes only retain: Delete volumes of a deleted project, by its last spec, else by label", async () => {
    const docker = new FakeVolumes();
    const v = new Volumes(docker, nopLogger);
    await v.ensure("default/a", { name: "keep", retain: "Keep" }, {});
    await v.ensure("default/a", { name: "tmp", retain: "Delete" }, {});
    await v.ensure("default/a", { name: "later", retain: "Keep" }, {});
    await v.ensure("default/b", { name: "tmp", retain: "Delete" }, {});
    const removed = await v.removeDeleted("default/a", [{ name: "later", retain: "Delete" }], {});
    expect(removed.sort()).toEqual(["berth-default-a-later", "berth-default-a-tmp"]);
    expect([...docker.volumes.keys()].sort()).toEqual(["berth-default-a-keep", "berth-default-b-tmp"]);
  });

  it("leaves a volume still in use, and recreates one empty on reset", async () => {
    const docker = new FakeVolumes();
    const v = new Volumes(docker, nopLogger);
    await v.ensure("default/a", { name: "tmp", retain: "Delete" }, {});
    docker.inUse.add("berth-default-a-tmp");
    expect(await v.removeDeleted("default/a", undefined, {})).toEqual([]);
    await expect(v.recreate("default/a", { name: "tmp", retain: "Delete" }, {})).rejects.toBeInstanceOf(
      ConflictError,
    );
    docker.inUse.clear();
    await v.recreate("default/a", { name: "tmp", retain: "Delete" }, {});
    expect(docker.volumes.has("berth-default-a-tmp")).toBe(true);
    expect(docker.creates).toBe(2);
  });
});
