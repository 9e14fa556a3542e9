import { isAbsolute, relative, sep } from "node:path";
import { BuildDigester } from "../runtime/build-digest.js";
import type { CallOptions, DockerClient } from "../runtime/docker.js";
import type { DockerImages } from "../runtime/images.js";
import type { ContainerSpec } from "../api/index.js";
import { BuildFailure, digestRefOf, ensureBuilt, type BuildOutput } from "./image-build.js";
import { pullDecision, type PullDecision } from "./pull-policy.js";

/** Why an image is not available, for the ImageAvailable condition. */
export class ImageUnavailableError extends Error {
  override readonly name = "ImageUnavailableError";
  constructor(
    readonly image: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The Docker calls of {@link Images}. */
export type ImagesDocker = Pick<DockerClient, "inspectImage" | "pullImage" | "buildImage"> &
  Pick<DockerImages, "tagImage" | "localRepoDigests" | "registryDigest">;

/** Options of {@link Images}, from the operator's wiring. */
export interface ImagesOptions {
  /** Build output lines, for the project's log stream. */
  buildOutput?: BuildOutput;
  /** Told which directory each project's container builds from (the build context watcher). */
  contexts?: { track(project: string, container: string, dir: string): void };
  /** How often an `imagePullPolicy: Always` reference is checked against its registry; default 5 min. */
  registryCheckMs?: number;
  /** Milliseconds clock; default Date.now. */
  now?: () => number;
  /** Called with each Always decision (for logs). */
  onPullDecision?: (ref: string, decision: PullDecision) => void;
}

/** Options of one {@link Images.resolve}. */
export type ResolveOptions = CallOptions & {
  /** Check an `Always` reference against its registry now, whatever the interval says. */
  fresh?: boolean;
  /** The project key (`ns/name`) the container belongs to: labels builds, routes build output. */
  project?: string;
  /** Real paths the dev loop copies into the running container: not part of the build digest. */
  synced?: readonly string[];
};

const DEFAULT_REGISTRY_CHECK_MS = 5 * 60_000;

/**
 * Image IDs for containers, resolved once and then served from memory so that a converged project
 * costs no Docker call. A `build:` image is found or built by the digest of its build inputs
 * (image-build.ts): the context is re-read (one lstat per path, contents only when they changed)
 * on every resolve, so an edit is a new digest, a new build and a new image ID, which replaces the
 * containers that use it. A pulled image follows `imagePullPolicy`; under `Always` the registry
 * digest is checked at most every `registryCheckMs` and the image pulled only when it changed
 * (pull-policy.ts). Concurrent requests for one reference share a single inspect, pull or build.
 */
export class Images {
  private readonly ids = new Map<string, string>();
  private readonly inflight = new Map<string, Promise<string>>();
  private readonly checkedAt = new Map<string, number>();
  /** What each built `image` reference was last tagged to by this resolver. */
  private readonly named = new Map<string, string>();
  private readonly digester = new BuildDigester();
  private readonly now: () => number;

  constructor(
    private readonly docker: ImagesDocker,
    private readonly options: ImagesOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The cached ID of a reference, without asking Docker. */
  cached(ref: string): string | undefined {
    return this.ids.get(ref);
  }

  /** Forget a reference (e.g. after a create failed with "no such image"). */
  forget(ref: string): void {
    this.ids.delete(ref);
    this.named.delete(ref);
    for (const k of [...this.ids.keys()]) if (k.startsWith(`${ref}\0`)) this.ids.delete(k);
  }

  /**
   * The image ID for a container, pulling or building when the policy says so. `buildContext` is
   * the real path of `c.build.context`, already checked against the allowed roots
   * (`PathResolver`); a build sends that directory and no other. Throws ImageUnavailableError with
   * a message that says what to do (for a failed build: the step it failed at).
   */
  async resolve(c: ContainerSpec, buildContext: string | undefined, opts: ResolveOptions): Promise<string> {
    if (c.build) return this.resolveBuilt(c, buildContext, opts);
    const ref = c.image;
    const known = this.ids.get(ref);
    const check = c.imagePullPolicy === "Always" && (opts.fresh === true || this.checkDue(ref));
    if (known && !check) return known;
    return this.once(ref, async () => {
      const id = await this.fetch(c, check, opts);
      this.ids.set(ref, id);
      return id;
    });
  }

  private async resolveBuilt(c: ContainerSpec, contextDir: string | undefined, opts: ResolveOptions) {
    if (contextDir === undefined) throw new Error(`unreachable: no resolved build context for ${c.image}`);
    if (opts.project !== undefined) this.options.contexts?.track(opts.project, c.name, contextDir);
    let target: { digest: string; digestRef: string };
    try {
      target = await digestRefOf(this.digester, c, contextDir, insideOf(contextDir, opts.synced));
    } catch (err) {
      throw new ImageUnavailableError(
        c.image,
        `cannot read the build context ${contextDir} of ${c.image}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    // Keyed by the spec's reference too: two specs that share a digest but name different images
    // each get their tag.
    const key = `${c.image}\0${target.digestRef}`;
    const known = this.ids.get(key);
    // Containers are created from `c.image`: it must point at this build (after a revert it
    // points at the later one until ensureBuilt tags it again).
    if (known && this.named.get(c.image) === known) return known;
    return this.once(key, async () => {
      try {
        const built = await ensureBuilt(
          this.docker,
          c,
          { contextDir, project: opts.project, ...target },
          this.options.buildOutput,
          opts,
        );
        this.ids.set(key, built.id);
        this.named.set(c.image, built.id);
        return built.id;
      } catch (err) {
        if (err instanceof BuildFailure)
          throw new ImageUnavailableError(c.image, err.message, { cause: err });
        throw new ImageUnavailableError(c.image, `building ${c.image} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
    });
  }

  private once(key: string, work: () => Promise<string>): Promise<string> {
    const running = this.inflight.get(key);
    if (running) return running;
    const p = work().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private checkDue(ref: string): boolean {
    const at = this.checkedAt.get(ref);
    return at === undefined || this.now() - at >= (this.options.registryCheckMs ?? DEFAULT_REGISTRY_CHECK_MS);
  }

  private async fetch(c: ContainerSpec, check: boolean, opts: CallOptions): Promise<string> {
    const ref = c.image;
    const localId = await this.docker.inspectImage(ref, opts);
    if (check) {
      this.checkedAt.set(ref, this.now());
      const decision = await this.decide(ref, localId, opts);
      this.options.onPullDecision?.(ref, decision);
      if (!decision.pull && localId) return localId;
    } else if (localId) {
      return localId;
    }
    if (c.imagePullPolicy === "Never") {
      throw new ImageUnavailableError(
        ref,
        `image ${ref} is not present and imagePullPolicy is Never; build or load it, or change the policy`,
      );
    }
    try {
      await this.docker.pullImage(ref, opts);
    } catch (err) {
      throw new ImageUnavailableError(ref, `image ${ref} could not be pulled: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const id = await this.docker.inspectImage(ref, opts);
    if (!id) throw new ImageUnavailableError(ref, `image ${ref} was pulled but is not present`);
    return id;
  }

  private async decide(ref: string, localId: string | undefined, opts: CallOptions): Promise<PullDecision> {
    if (localId === undefined) return pullDecision({ localId, localDigests: [], registry: { digest: "" } });
    const [localDigests, registry] = await Promise.all([
      this.docker.localRepoDigests(ref, opts),
      this.docker.registryDigest(ref, opts).then(
        (digest) => ({ digest }),
        (error: unknown) => ({ error: error instanceof Error ? error : new Error(String(error)) }),
      ),
    ]);
    return pullDecision({ localId, localDigests, registry });
  }
}

/** The paths of `real` inside `dir`, relative and `/`-separated. Pure. */
function insideOf(dir: string, real: readonly string[] | undefined): string[] | undefined {
  if (!real?.length) return undefined;
  const out: string[] = [];
  for (const r of real) {
    const rel = relative(dir, r);
    if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) continue;
    out.push(rel.split(sep).join("/"));
  }
  return out.length ? out : undefined;
}
