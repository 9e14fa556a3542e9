import { describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import {
  collectGarbage,
  planImages,
  registerGcMetrics,
  unclaimedVolumes,
  type GcDeps,
} from "../../../src/service/gc.js";
import type { ImageSummary } from "../../../src/runtime/images.js";
import { ConflictError } from "../../../src/runtime/errors.js";

function image(
  id: string,
  project: string,
  created: number,
  tags = [`app:${id}`],
  size = 1000,
): ImageSummary {
  return {
    id,
    repoTags: tags,
    labels: {
      "berth.dev/managed": "true",
      "berth.dev/build-digest": `sha256:${id}`,
      "berth.dev/project": project,
    },
    created,
    size,
  };
}

describe("planImages", () => {
  it("keeps images in use and the newest N unused per project, removes the rest", () => {
    const images = [
      image("a1", "default.a", 1),
      image("a2", "default.a", 2),
      image("a3", "default.a", 3),
      image("a4", "default.a", 4),
      image("b1", "default.b", 1),
    ];
    const { kept, remove } = planImages(images, [{ imageID: "a1" }], 2);
    expect(remove.map((i) => i.id)).toEqual(["a2"]);
    expect(kept.map((i) => i.id).sort()).toEqual(["a1", "a3", "a4", "b1"]);
    expect(kept.find((i) => i.id === "a1")?.reason).toBe("in use");
    expect(
      planImages(images, [{ imageID: "a4" }], 0)
        .remove.map((i) => i.id)
        .sort(),
    ).toEqual(["a1", "a2", "a3", "b1"]);
  });
});

describe("unclaimedVolumes", () => {
  it("lists volumes whose project does not declare them any more", () => {
    const desired = {
      list: () =>
        [
          { key: "default/db", project: { spec: { volumes: [{ name: "pgdata", retain: "Keep" }] } } },
        ] as never,
    };
    const volumes = [
      {
        name: "berth-default-db-pgdata",
        labels: { "berth.dev/project": "default.db", "berth.dev/volume": "pgdata" },
      },
      {
        name: "berth-default-db-old",
        labels: { "berth.dev/project": "default.db", "berth.dev/volume": "old" },
      },
      {
        name: "berth-default-gone-x",
        labels: { "berth.dev/project": "default.gone", "berth.dev/volume": "x" },
      },
    ];
    expect(unclaimedVolumes(volumes, desired).map((v) => v.name)).toEqual([
      "berth-default-db-old",
      "berth-default-gone-x",
    ]);
  });
});

describe("collectGarbage", () => {
  function deps(images: ImageSummary[], refuse: Set<string> = new Set()) {
    const removed: string[] = [];
    const registry = new Registry();
    const d: GcDeps = {
      docker: {
        listImages: () => Promise.resolve(images),
        listManagedContainers: () => Promise.resolve([{ imageID: "in-use" }] as never),
        listVolumes: () => Promise.resolve([]),
        removeImage: (ref: string) => {
          if (refuse.has(ref)) {
            return Promise.reject(
              new ConflictError("image", ref, {
                op: "removeImage",
                endpoint: "fake",
                daemonMessage: "used by c1",
              }),
            );
          }
          removed.push(ref);
          return Promise.resolve();
        },
      },
      desired: { list: () => [] },
      metrics: registerGcMetrics(registry),
    };
    return { d, removed, registry };
  }

  it("removes by tag, counts what it reclaimed, and removes nothing when dry", async () => {
    const images = [
      image("in-use", "default.a", 3),
      image("old", "default.a", 1, ["app:src-1", "app:x"], 5000),
    ];
    const dry = deps(images);
    const report = await collectGarbage(dry.d, { dryRun: true, keep: 0 });
    expect(report.removed.map((i) => i.id)).toEqual(["old"]);
    expect(dry.removed).toEqual([]);
    const real = deps(images);
    const done = await collectGarbage(real.d, { keep: 0 });
    expect(real.removed).toEqual(["app:src-1", "app:x"]);
    expect(done.reclaimedBytes).toBe(5000);
    const text = await real.registry.metrics();
    expect(text).toContain("berth_gc_reclaimed_bytes_total 5000");
    expect(text).toContain("berth_gc_removed_images_total 1");
    expect(text).toContain("berth_built_images 1");
  });

  it("reports an image Docker refuses to remove instead of failing", async () => {
    const { d } = deps([image("old", "default.a", 1, ["app:src-1"])], new Set(["app:src-1"]));
    const report = await collectGarbage(d, { keep: 0 });
    expect(report.removed).toEqual([]);
    expect(report.failed[0]?.reason).toContain("used by c1");
  });
});
