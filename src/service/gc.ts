/**
 * Garbage collection of what Berth leaves behind on the engine: images it built (label
 * `berth.dev/build-digest`) that no container uses, beyond the newest `keep` per project, are
 * removed; named volumes (label `berth.dev/volume`) that no project's spec claims are listed, never
 * removed (their data may matter: `docker volume rm` them by hand). Run by `berth gc`
 * (`POST /api/v1/gc`) and, with `--gc-interval`, periodically by the daemon.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { ContainerSummary, DockerClient } from "../runtime/docker.js";
import { ConflictError, ImageNotFoundError, NotFoundError } from "../runtime/errors.js";
import type { DockerImages, ImageSummary } from "../runtime/images.js";
import { LABEL_PROJECT, MANAGED_LABEL_FILTER, projectKeyFromLabel } from "../runtime/labels.js";
import type { DockerVolumes } from "../runtime/volumes.js";
import { LABEL_VOLUME } from "../runtime/volumes.js";
import type { DesiredReader } from "../api/index.js";

/** The image label every build carries (see reconcilers/image-build.ts). */
const LABEL_BUILD_DIGEST = "berth.dev/build-digest";

/** Default number of unused built images kept per project. */
export const GC_DEFAULT_KEEP = 2;

/** What a collection does. */
export interface GcOptions {
  /** Report, remove nothing. */
  dryRun?: boolean;
  /** Unused built images kept per project, newest first; default {@link GC_DEFAULT_KEEP}. */
  keep?: number;
  signal?: AbortSignal;
}

/** One image in a report. */
export interface GcImage {
  id: string;
  tags: string[];
  /** Project key (`ns/name`), or "" when the label is missing. */
  project: string;
  /** Docker's size of the image (layers shared with kept images are not freed). */
  bytes: number;
  /** RFC 3339. */
  created: string;
  /** Why it is kept (`in use`, `kept: newest N`), or why removing failed. */
  reason?: string;
}

/** A volume no spec claims. */
export interface GcVolume {
  name: string;
  project: string;
  volume: string;
}

/** What a collection did (or, dry, would do). */
export interface GcReport {
  dryRun: boolean;
  keep: number;
  removed: GcImage[];
  kept: GcImage[];
  /** Images that could not be removed (e.g. a container outside Berth uses one). */
  failed: GcImage[];
  reclaimedBytes: number;
  unclaimedVolumes: GcVolume[];
}

/** What GC reads and removes through; injected so tests can pass fakes. */
export interface GcDeps {
  docker: Pick<DockerClient, "listManagedContainers"> &
    Pick<DockerImages, "listImages" | "removeImage"> &
    Pick<DockerVolumes, "listVolumes">;
  desired: Pick<DesiredReader, "list">;
  metrics?: GcMetrics;
}

/** Prometheus metrics of GC. */
export interface GcMetrics {
  removed(images: number, bytes: number): void;
  held(images: number, bytes: number): void;
}

/**
 * Registers `berth_gc_reclaimed_bytes_total`, `berth_gc_removed_images_total`,
 * `berth_built_images` and `berth_built_image_bytes` on `registry`.
 */
export function registerGcMetrics(registry: Registry): GcMetrics {
  const bytes = new Counter({
    name: "berth_gc_reclaimed_bytes_total",
    help: "Bytes of built images removed by garbage collection (Docker's image sizes).",
    registers: [registry],
  });
  const images = new Counter({
    name: "berth_gc_removed_images_total",
    help: "Built images removed by garbage collection.",
    registers: [registry],
  });
  const held = new Gauge({
    name: "berth_built_images",
    help: "Images built by Berth present on the engine, as of the last collection.",
    registers: [registry],
  });
  const heldBytes = new Gauge({
    name: "berth_built_image_bytes",
    help: "Bytes of the images built by Berth present on the engine, as of the last collection.",
    registers: [registry],
  });
  return {
    removed(n, b) {
      images.inc(n);
      bytes.inc(b);
    },
    held(n, b) {
      held.set(n);
      heldBytes.set(b);
    },
  };
}

/**
 * Collects once. Reads images, containers and volumes (3 list calls), then removes each
 * collectable image by its tags (never forced: Docker refuses while any container, Berth's or
 * not, uses it, and that image is reported in `failed`). Rejects only when listing fails.
 */
export async function collectGarbage(deps: GcDeps, options: GcOptions = {}): Promise<GcReport> {
  const keep = options.keep ?? GC_DEFAULT_KEEP;
  const call = { signal: options.signal };
  const [images, containers, volumes] = await Promise.all([
    deps.docker.listImages([MANAGED_LABEL_FILTER, LABEL_BUILD_DIGEST], call),
    deps.docker.listManagedContainers(call),
    deps.docker.listVolumes([MANAGED_LABEL_FILTER, LABEL_VOLUME], call),
  ]);
  const plan = planImages(images, containers, keep);
  const report: GcReport = {
    dryRun: options.dryRun === true,
    keep,
    removed: [],
    kept: plan.kept,
    failed: [],
    reclaimedBytes: 0,
    unclaimedVolumes: unclaimedVolumes(volumes, deps.desired),
  };
  for (const image of plan.remove) {
    if (report.dryRun) {
      report.removed.push(image);
      continue;
    }
    try {
      await removeByTags(deps.docker, image, call);
      report.removed.push(image);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      report.failed.push({ ...image, reason: `in use outside Berth: ${err.daemonMessage ?? err.message}` });
    }
  }
  report.reclaimedBytes = report.removed.reduce((n, i) => n + i.bytes, 0);
  if (!report.dryRun) {
    deps.metrics?.removed(report.removed.length, report.reclaimedBytes);
    const left = [...report.kept, ...report.failed];
    deps.metrics?.held(
      left.length,
      left.reduce((n, i) => n + i.bytes, 0),
    );
  }
  return report;
}

/**
 * Splits built images into kept and removable: used by a container (any state) is kept; of the
 * rest, the newest `keep` per project are kept. Pure.
 */
export function planImages(
  images: readonly ImageSummary[],
  containers: readonly Pick<ContainerSummary, "imageID">[],
  keep: number,
): { kept: GcImage[]; remove: GcImage[] } {
  const used = new Set(containers.map((c) => c.imageID));
  const kept: GcImage[] = [];
  const unused = new Map<string, GcImage[]>();
  for (const i of images) {
    const project = projectKeyFromLabel(i.labels[LABEL_PROJECT]) ?? "";
    const entry: GcImage = {
      id: i.id,
      tags: i.repoTags,
      project,
      bytes: i.size,
      created: new Date(i.created * 1000).toISOString(),
    };
    if (used.has(i.id)) kept.push({ ...entry, reason: "in use" });
    else {
      const list = unused.get(project) ?? [];
      list.push(entry);
      unused.set(project, list);
    }
  }
  const remove: GcImage[] = [];
  for (const list of unused.values()) {
    list.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : a.id < b.id ? -1 : 1));
    list.forEach((img, n) => {
      if (n < keep) kept.push({ ...img, reason: `kept: newest ${keep} unused of its project` });
      else remove.push(img);
    });
  }
  return { kept, remove };
}

/** Volumes labelled as Berth's whose project no longer declares them. Pure. */
export function unclaimedVolumes(
  volumes: readonly { name: string; labels: Record<string, string> }[],
  desired: Pick<DesiredReader, "list">,
): GcVolume[] {
  const claimed = new Set<string>();
  for (const d of desired.list())
    for (const v of d.project.spec.volumes ?? []) claimed.add(`${d.key}\0${v.name}`);
  const out: GcVolume[] = [];
  for (const v of volumes) {
    const project = projectKeyFromLabel(v.labels[LABEL_PROJECT]) ?? "";
    const volume = v.labels[LABEL_VOLUME] ?? "";
    if (!claimed.has(`${project}\0${volume}`)) out.push({ name: v.name, project, volume });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

async function removeByTags(
  docker: Pick<DockerImages, "removeImage">,
  image: GcImage,
  call: { signal?: AbortSignal | undefined },
): Promise<void> {
  const refs = image.tags.length > 0 ? image.tags : [image.id];
  for (const ref of refs) {
    try {
      await docker.removeImage(ref, call);
    } catch (err) {
      if (err instanceof ImageNotFoundError || err instanceof NotFoundError) continue;
      throw err;
    }
  }
}
